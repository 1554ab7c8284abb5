// convkit models that together use every layer type, both paddings, strides and dilation, for the
// ONNX export and round-trip tests. Each factory builds a fresh model with seeded random weights.
import * as ck from '../../../lib';
import { randomizeWeights } from './graph';

const L = ck.layers;

const factories: Record<string, () => ck.Sequential> = {
  // conv 'same' with strides, 'same' with dilation, batch norm on maps and on features, leaky
  // ReLU and ELU layers, max and average pooling with 'same' padding (the average excludes the
  // padded cells), a strided 'valid' conv without bias, dropout, flatten, maxout, softmax.
  everyLayer: () =>
    ck.sequential({
      seed: 1,
      layers: [
        L.conv2d({
          inputShape: [16, 15, 3],
          filters: 4,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
          activation: 'relu',
        }),
        L.conv2d({ filters: 5, kernelSize: [3, 2], dilationRate: 2, padding: 'same', activation: 'elu' }),
        L.batchNormalization({ epsilon: 1e-3 }),
        L.leakyReLU({ alpha: 0.1 }),
        L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
        L.conv2d({ filters: 6, kernelSize: 2, strides: [1, 2], activation: 'sigmoid', useBias: false }),
        L.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' }),
        L.elu({ alpha: 0.5 }),
        L.dropout({ rate: 0.3 }),
        L.flatten(),
        L.dense({ units: 8, activation: 'tanh' }),
        L.batchNormalization(),
        L.dense({ units: 6 }),
        L.maxout({ pieces: 2 }),
        L.activation({ activation: 'softmax' }),
      ],
    }),
  // 'valid' conv with dilation and a fused leaky ReLU, 'valid' average pooling, global average pooling.
  globalAverage: () =>
    ck.sequential({
      seed: 2,
      layers: [
        L.conv2d({ inputShape: [10, 10, 2], filters: 3, kernelSize: 3, dilationRate: 2, activation: 'leakyRelu' }),
        L.averagePooling2d({ poolSize: 2 }),
        L.globalAveragePooling2d(),
        L.dense({ units: 4, activation: 'sigmoid' }),
      ],
    }),
  // A softmax over the channels of a feature map, 'valid' max pooling with a window that does not
  // tile the input, global max pooling.
  globalMax: () =>
    ck.sequential({
      seed: 3,
      layers: [
        L.conv2d({ inputShape: [7, 7, 2], filters: 4, kernelSize: 3, padding: 'same', activation: 'softmax' }),
        L.maxPooling2d({ poolSize: 2 }),
        L.globalMaxPooling2d(),
        L.dense({ units: 2 }),
      ],
    }),
  // Reshape, batch norm and softmax on the last axis of a rank-2 sample, activation layers, and a
  // feature-map output (NHWC).
  reshapes: () =>
    ck.sequential({
      seed: 4,
      layers: [
        L.reshape({ inputShape: [4, 4, 2], targetShape: [8, 4] }),
        L.batchNormalization(),
        L.activation({ activation: 'softmax' }),
        L.reshape({ targetShape: [2, 4, -1] }),
        L.conv2d({ filters: 3, kernelSize: 1 }),
        L.activation({ activation: 'tanh' }),
        L.activation({ activation: 'leakyRelu', alpha: 0.2 }),
      ],
    }),
  // Flat input, dense layers only.
  denseOnly: () =>
    ck.sequential({
      seed: 5,
      layers: [
        L.dense({ inputShape: [5], units: 7, activation: 'relu' }),
        L.dropout({ rate: 0.5 }),
        L.dense({ units: 3, activation: 'elu' }),
        L.activation({ activation: 'linear' }),
      ],
    }),
  // MobileNetV2/V3's and EfficientNet's activations: relu6 (fused and as ReLU(6)), swish, hardSwish,
  // hardSigmoid, softplus, selu, on channels-first maps and on features, and PReLU on both.
  mobileActivations: () =>
    ck.sequential({
      seed: 9,
      layers: [
        L.conv2d({ inputShape: [6, 6, 2], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu6' }),
        L.prelu({ sharedAxes: [1, 2], alphaInitializer: 'randomUniform' }),
        L.conv2d({ filters: 4, kernelSize: 1, activation: 'hardSwish' }),
        L.activation({ activation: 'swish' }),
        L.maxPooling2d({ poolSize: 2 }),
        L.reLU({ maxValue: 6 }),
        L.activation({ activation: 'hardSigmoid' }),
        L.flatten(),
        L.dense({ units: 6, activation: 'selu' }),
        L.prelu({ alphaInitializer: 'randomUniform' }),
        L.dense({ units: 4, activation: 'softplus' }),
        L.dense({ units: 3, activation: 'swish' }),
      ],
    }),
  // Depthwise convolutions (multipliers 1 and 2, stride 2, fused relu and a leaky ReLU, no bias)
  // and separable ones (dilation, even kernel, 1x1), which export as grouped then 1x1 Convs.
  separable: () =>
    ck.sequential({
      seed: 9,
      layers: [
        L.depthwiseConv2d({
          inputShape: [9, 8, 3],
          kernelSize: 3,
          depthMultiplier: 2,
          strides: 2,
          padding: 'same',
          activation: 'relu',
        }),
        L.separableConv2d({ filters: 5, kernelSize: [3, 2], dilationRate: 2, padding: 'same', activation: 'tanh' }),
        L.depthwiseConv2d({ kernelSize: 2, useBias: false, activation: 'leakyRelu' }),
        L.separableConv2d({ filters: 3, kernelSize: 1, depthMultiplier: 3, useBias: false }),
        L.globalAveragePooling2d(),
        L.dense({ units: 2 }),
      ],
    }),
  kerasMnist: () => ck.models.kerasMnist({ seed: 6 }),
  lenet5: () => ck.models.lenet5({ seed: 7 }),
  bnConvnet: () => ck.models.bnConvnet({ seed: 8 }),
};

// Exported as formulas (opset 13 has no Gelu nor Mish) that the importer does not read back.
const exportOnly: Record<string, () => ck.Sequential> = {
  geluMish: () =>
    ck.sequential({
      seed: 10,
      layers: [
        L.conv2d({ inputShape: [5, 5, 2], filters: 3, kernelSize: 2, activation: 'gelu' }),
        L.activation({ activation: 'mish' }),
        L.flatten(),
        L.dense({ units: 4, activation: 'mish' }),
        L.activation({ activation: 'gelu' }),
      ],
    }),
};

/** The models that export and import back. */
export const modelNames = Object.keys(factories);
/** Every model, those that only export too. */
export const exportModelNames = [...modelNames, ...Object.keys(exportOnly)];

export function testModel(name: string): ck.Sequential {
  const model = (factories[name] ?? exportOnly[name])();
  randomizeWeights(model, name.length * 101);
  return model;
}
