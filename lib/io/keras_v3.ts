// Keras 3's native format (model.save('model.keras'), also written by Keras 2.13-2.15): a zip
// archive of config.json (the model serialized with module / class_name / config /
// registered_name), metadata.json and model.weights.h5, or the same three files in a directory
// (saved with zipped=False). In model.weights.h5 each layer's variables are datasets `0`, `1`, …
// of `layers/<name>/vars`, where <name> is the snake-cased class name made unique by a counter in
// model order (conv2d, conv2d_1, …; Keras does not use layer names, which are not reproducible);
// Keras 2.13 wrote `_layer_checkpoint_dependencies/` instead of `layers/`.
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import type { Model } from '../engine/model';
import { snakeCase } from '../layers/base';
import { invalid, readModelFile } from './files';
import { withHdf5File } from './hdf5';
import { buildKerasModel, type KerasModelPlan } from './keras_config';
import { planFromJson } from './keras_h5';

const CONFIG = 'config.json';
const WEIGHTS = 'model.weights.h5';
const NPZ_WEIGHTS = 'model.weights.npz';

/** Sets the weights of a planned model from a Keras 3 weights file. */
async function loadWeights(path: string, weightsPath: string, plan: KerasModelPlan): Promise<Model> {
  // Numbered in the file's layer order, which a Functional model's plan may not follow.
  const used = new Map<string, number>();
  const layerPaths: string[] = [];
  const byPosition = plan.layers.map((l, index) => ({ ...l, index })).sort((a, b) => a.position - b.position);
  for (const { kerasClass, index } of byPosition) {
    const base = snakeCase(kerasClass);
    const count = used.get(base);
    used.set(base, (count ?? -1) + 1);
    layerPaths[index] = count === undefined ? base : `${base}_${count + 1}`;
  }
  return withHdf5File(weightsPath, (h5) => {
    try {
      return buildKerasModel(plan, ({ index, layer, weights }) => {
        const candidates = ['layers', '_layer_checkpoint_dependencies'].map(
          (root) => `${root}/${layerPaths[index]}/vars`,
        );
        const groupPath = candidates.find((p) => h5.group(p)) ?? candidates[0];
        const vars = h5.group(groupPath);
        if (!vars)
          throw new RangeError(`${WEIGHTS} has no weights for layer '${layer.name}' (expected at ${groupPath})`);
        // Recent Keras versions record the layer's name on its vars group: a cross-check of the order.
        const recorded = h5.string(vars, 'name');
        if (recorded !== undefined && recorded !== layer.name) {
          throw new RangeError(
            `${WEIGHTS}: ${groupPath} holds the weights of layer '${recorded}', expected '${layer.name}'`,
          );
        }
        const count = vars.keys().length;
        if (count !== weights.length) {
          throw new RangeError(
            `${WEIGHTS}: ${groupPath} has ${count} weights, layer '${layer.name}' needs ${weights.length} [${weights.map((w) => w.name).join(', ')}]`,
          );
        }
        return weights.map(({ name }, i) => ({ name, ...h5.float32(vars, String(i)) }));
      });
    } catch (error) {
      invalid(path, (error as Error).message);
    }
  });
}

/** Loads a .keras archive. */
export async function loadKerasArchive(path: string): Promise<Model> {
  const bytes = await readModelFile(path);
  const names: string[] = [];
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (file) => {
        names.push(file.name);
        return file.name === CONFIG || file.name === WEIGHTS;
      },
    });
  } catch (error) {
    invalid(path, `is not a readable zip archive (${(error as Error).message})`);
  }
  if (!files[CONFIG])
    invalid(path, `has no ${CONFIG}: not a Keras .keras archive (it holds ${names.join(', ') || 'nothing'})`);
  const plan = planFromJson(path, new TextDecoder().decode(files[CONFIG]), CONFIG);
  if (!files[WEIGHTS]) {
    const npz = names.includes(NPZ_WEIGHTS)
      ? ` (${NPZ_WEIGHTS} is not supported: save with Keras's default h5 weights)`
      : '';
    invalid(path, `has no ${WEIGHTS}${npz}`);
  }
  // h5wasm's Node build reads files from disk, so the weights file goes to a private temporary directory.
  const dir = await mkdtemp(join(tmpdir(), 'convkit-keras-'));
  try {
    const weightsPath = join(dir, WEIGHTS);
    await writeFile(weightsPath, files[WEIGHTS]);
    return await loadWeights(path, weightsPath, plan);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Loads a Keras 3 model saved to a directory (config.json + model.weights.h5). */
export async function loadKerasDirectory(dir: string): Promise<Model> {
  const configPath = join(dir, CONFIG);
  const plan = planFromJson(configPath, (await readModelFile(configPath)).toString('utf8'), CONFIG);
  const weightsPath = join(dir, WEIGHTS);
  await access(weightsPath).catch((error: Error) => {
    throw new Error(`loadModel: ${weightsPath} cannot be read (${error.message})`);
  });
  return loadWeights(weightsPath, weightsPath, plan);
}
