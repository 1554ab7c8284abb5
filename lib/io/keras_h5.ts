// Keras's HDF5 model file (model.save('model.h5'), Keras 2, and Keras 3's legacy h5 format): root
// attribute `model_config` (the model's JSON config) beside `keras_version` and `backend`, and
// group `model_weights` with one group per layer whose attribute `weight_names` lists its weight
// datasets (paths under the layer's group: `conv2d/kernel:0` in Keras 2, `sequential/conv2d/kernel`
// in Keras 3), in the layer's weight order.
import type { Model } from '../engine/model';
import { invalid } from './files';
import { withHdf5File } from './hdf5';
import { buildKerasModel, kerasModelFromConfig, type KerasModelPlan } from './keras_config';

/** `conv2d/kernel:0` -> `kernel`: the variable's own name, without scope or TensorFlow's output index. */
function variableName(weightName: string): string {
  return weightName.slice(weightName.lastIndexOf('/') + 1).replace(/:\d+$/, '');
}

/** Parses a JSON config read from a file, naming where it came from when it is not JSON or not a model Keras convkit reads. */
export function planFromJson(path: string, text: string, where: string): KerasModelPlan {
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (error) {
    invalid(path, `${where} is not valid JSON (${(error as Error).message})`);
  }
  try {
    return kerasModelFromConfig(config);
  } catch (error) {
    invalid(path, `${where}: ${(error as Error).message}`);
  }
}

/** Loads a Keras HDF5 model file. */
export async function loadKerasH5(path: string): Promise<Model> {
  return withHdf5File(path, (h5) => {
    const root = h5.file;
    const modelConfig = h5.string(root, 'model_config');
    if (modelConfig === undefined) {
      const weightsOnly = h5.group('layers') !== undefined || h5.strings(root, 'layer_names') !== undefined;
      invalid(
        path,
        weightsOnly
          ? 'holds weights only (model.save_weights): convkit needs the whole model, saved with model.save()'
          : 'is an HDF5 file but not a Keras model (it has no model_config attribute)',
      );
    }
    const plan = planFromJson(path, modelConfig, 'model_config');
    const weightsRoot = h5.group('model_weights');
    if (!weightsRoot) invalid(path, 'has no model_weights group (a Keras model file saved without its weights?)');
    try {
      return buildKerasModel(plan, ({ layer, weights }) => {
        const group = h5.group(`model_weights/${layer.name}`);
        const names = group ? h5.strings(group, 'weight_names') : undefined;
        if (!group || !names) throw new RangeError(`model_weights has no weights for layer '${layer.name}'`);
        if (names.length !== weights.length) {
          throw new RangeError(
            `model_weights/${layer.name} has ${names.length} weights [${names.join(', ')}], convkit needs ${weights.length} [${weights.map((w) => w.name).join(', ')}]`,
          );
        }
        return weights.map(({ name }) => {
          const matches = names.filter((n) => variableName(n) === name);
          if (matches.length !== 1)
            throw new RangeError(
              `model_weights/${layer.name} has no single weight named '${name}' (it has ${names.join(', ')})`,
            );
          return { name, ...h5.float32(group, matches[0]) };
        });
      });
    } catch (error) {
      invalid(path, (error as Error).message);
    }
  });
}
