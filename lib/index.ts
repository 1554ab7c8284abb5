/**
 * convkit: convolutional neural networks for Node.js, with C++ kernels behind a Keras-style API.
 *
 * ```ts
 * import * as ck from 'convkit';
 * const model = ck.models.kerasMnist();
 * model.compile({ optimizer: 'rmsprop', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
 * const { train, test } = await ck.datasets.fashionMnist();
 * await model.fit(train.x, train.y, { epochs: 5, batchSize: 64 });
 * console.log(await model.evaluate(test.x, test.y));
 * ```
 * @packageDocumentation
 */
export { backendInfo, setNumThreads } from './backend';
export type { BackendInfo } from './backend';
export { version } from './version';
export { Tensor, tensor } from './tensor';
export type { Shape } from './tensor';
export { Model } from './engine/model';
export { model } from './engine/functional';
export type { ModelArgs } from './engine/functional';
export { Sequential, sequential } from './engine/sequential';
export type { CompileArgs, Dataset, EvaluateResult, FitArgs, History, SequentialArgs } from './engine/sequential';
export { input, SymbolicTensor } from './layers/symbolic';
export type { InputArgs } from './layers/symbolic';
export type { TargetsInput } from './engine/data';
export { loadModel } from './io/model_io';
export { exportOnnx, loadOnnx, toOnnx } from './io/onnx';
export type { SaveOptions } from './engine/formats';
export { createPredictor, Predictor, PredictorError } from './serving/predictor';
export type { PredictorErrorCode, PredictorInput, PredictorOptions, PredictorStats } from './serving/predictor';
export * as layers from './layers';
export * as optimizers from './optimizers';
export * as callbacks from './callbacks';
export * as models from './models';
export * as datasets from './datasets';
export * as visualize from './visualize';
export type { Callback, Logs } from './callbacks';
export type { ActivationName, ActivationSpelling } from './activations';
export type { LossName } from './losses';
export type { InitializerName } from './initializers';
