// The TensorFlow.js layers format, as tfjs-layers' model.save() and tensorflowjs_converter write it:
// model.json { format: 'layers-model', modelTopology: Keras config, weightsManifest: [{ paths:
// [shard files], weights: [{ name, shape, dtype }] }] } beside the binary shards. A group's shards,
// concatenated, hold its weights back to back in manifest order, little-endian.
import { randomBytes } from 'node:crypto';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import type { Model } from '../engine/model';
import { shapeSize } from '../tensor';
import { version } from '../version';
import { fromLittleEndian, invalid, readModelFile, toLittleEndian, writeModelDirectory } from './files';
import { buildKerasModel, kerasConfigOf, kerasModelFromConfig, type KerasModelPlan } from './keras_config';

export const TFJS_LAYERS_FORMAT = 'layers-model';

/** tensorflowjs_converter's default shard size: hosts and browsers cache shards of this size well. */
const SHARD_BYTES = 4 * 1024 * 1024;

type Json = Record<string, unknown>;

interface NamedWeight {
  shape: number[];
  data: Float32Array;
}

function isShape(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/** A shard path from the manifest, resolved inside the model's directory (never outside it). */
function shardPath(jsonPath: string, path: unknown, where: string): string {
  if (typeof path !== 'string' || path.length === 0)
    invalid(jsonPath, `${where} must be a file name, got ${JSON.stringify(path)}`);
  const relative = normalize(path);
  if (isAbsolute(relative) || relative === '..' || relative.startsWith(`..${sep}`)) {
    invalid(jsonPath, `${where} '${path}' points outside the model's directory`);
  }
  return join(dirname(jsonPath), relative);
}

/** Reads every group's shards and returns the weights by name, after checking dtypes and byte counts. */
async function readWeights(jsonPath: string, manifest: unknown): Promise<Map<string, NamedWeight>> {
  if (!Array.isArray(manifest))
    invalid(jsonPath, 'weightsManifest must be an array of weight groups { paths, weights }');
  const weights = new Map<string, NamedWeight>();
  for (const [g, group] of manifest.entries()) {
    const where = `weightsManifest[${g}]`;
    if (group === null || typeof group !== 'object' || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      invalid(jsonPath, `${where} must be { paths: [...], weights: [...] }`);
    }
    const entries = (group.weights as unknown[]).map((entry, i) => {
      const { name, shape, dtype, quantization } = (entry ?? {}) as Json;
      if (typeof name !== 'string' || !isShape(shape))
        invalid(jsonPath, `${where}.weights[${i}] must be { name, shape, dtype }, got ${JSON.stringify(entry)}`);
      if (quantization !== undefined && quantization !== null) {
        invalid(
          jsonPath,
          `weight '${name}' is quantized (${JSON.stringify(quantization)}): convkit reads float32 weights only (convert without --quantize_*)`,
        );
      }
      if (dtype !== 'float32')
        invalid(jsonPath, `weight '${name}' has dtype ${JSON.stringify(dtype)}: convkit reads float32 weights only`);
      if (weights.has(name)) invalid(jsonPath, `weight '${name}' is listed twice in weightsManifest`);
      return { name, shape };
    });
    const paths = (group.paths as unknown[]).map((p, i) => shardPath(jsonPath, p, `${where}.paths[${i}]`));
    if (paths.length === 0 && entries.length > 0) invalid(jsonPath, `${where} lists weights but no shard files`);
    const shards = await Promise.all(paths.map((p) => readModelFile(p, ` (a weight shard listed in ${jsonPath})`)));
    const bytes = shards.length === 1 ? shards[0] : Buffer.concat(shards);
    const expected = entries.reduce((sum, e) => sum + shapeSize(e.shape) * 4, 0);
    if (bytes.byteLength !== expected) {
      invalid(
        jsonPath,
        `${where}'s shards (${paths.join(', ')}) hold ${bytes.byteLength} bytes, its ${entries.length} float32 weights need ${expected} (a shard is truncated, missing data or from another model)`,
      );
    }
    let offset = 0;
    for (const { name, shape } of entries) {
      const count = shapeSize(shape);
      weights.set(name, { shape, data: fromLittleEndian(bytes, offset, count) });
      offset += count * 4;
    }
  }
  return weights;
}

/**
 * The manifest name of a layer's weight: `layer/variable` as tfjs and Keras 2 name it, or with a
 * scope in front (`model/layer/variable`) as nested Keras name scopes write it.
 */
function manifestName(weights: Map<string, NamedWeight>, layer: string, variable: string): string | undefined {
  const exact = `${layer}/${variable}`;
  if (weights.has(exact)) return exact;
  const scoped = [...weights.keys()].filter((name) => name.endsWith(`/${exact}`));
  if (scoped.length > 1) throw new RangeError(`weights ${scoped.join(', ')} all match '${exact}'`);
  return scoped[0];
}

/** Loads a parsed tfjs layers-format model.json and its shards. */
export async function loadTfjsModel(jsonPath: string, json: Json): Promise<Model> {
  if (json.format !== undefined && json.format !== TFJS_LAYERS_FORMAT) {
    const graph =
      json.format === 'graph-model'
        ? ' (a graph model is a TensorFlow graph without layers; convert the Keras model with --output_format=tfjs_layers_model)'
        : '';
    invalid(
      jsonPath,
      `format is ${JSON.stringify(json.format)}: convkit reads the tfjs layers format ('${TFJS_LAYERS_FORMAT}')${graph}`,
    );
  }
  let plan: KerasModelPlan;
  try {
    plan = kerasModelFromConfig(json.modelTopology);
  } catch (error) {
    invalid(jsonPath, `modelTopology: ${(error as Error).message}`);
  }
  const weights = await readWeights(jsonPath, json.weightsManifest);
  const unused = new Set(weights.keys());
  try {
    const model = buildKerasModel(plan, ({ layer, weights: wanted }) =>
      wanted.map(({ name }) => {
        const key = manifestName(weights, layer.name, name);
        if (key === undefined) throw new RangeError(`weight '${layer.name}/${name}' is not in weightsManifest`);
        unused.delete(key);
        return { name, ...weights.get(key)! };
      }),
    );
    if (unused.size > 0)
      throw new RangeError(`weightsManifest has weights that no layer uses: ${[...unused].join(', ')}`);
    return model;
  } catch (error) {
    invalid(jsonPath, (error as Error).message);
  }
}

/** Refuses what is valid Keras but that tfjs-layers (4.x) cannot load, so a save never fails only at tf.loadLayersModel. */
function checkTfjsCanRead(topology: Json): void {
  for (const { class_name: className, config } of (
    topology.config as { layers: { class_name: string; config: Json }[] }
  ).layers) {
    if (className === 'ELU' && config.alpha !== 1) {
      throw new RangeError(
        `layer '${String(config.name)}' (ELU): tfjs-layers supports ELU with alpha 1 only, this one has ${String(config.alpha)}`,
      );
    }
  }
}

/**
 * Saves in the tfjs layers format: model.json (Keras config + manifest) and weight shards of at
 * most 4 MiB. Every save writes shards under new names and commits by renaming model.json, so a
 * crash never pairs a model.json with another save's shards; the previous shards go afterwards
 * (see writeModelDirectory).
 */
export async function saveTfjsModel(model: Model, dir: string): Promise<void> {
  const specs = model.weightSpecs();
  let modelTopology: Json;
  try {
    modelTopology = kerasConfigOf(model, `convkit ${version}`);
    checkTfjsCanRead(modelTopology);
  } catch (error) {
    throw new RangeError(`save: ${dir}: the tfjs format cannot hold this model: ${(error as Error).message}`);
  }
  const chunks = (await model.readWeights()).map((w) => toLittleEndian(w.data));
  const bytes = Buffer.concat(chunks);
  const tag = randomBytes(4).toString('hex');
  const count = Math.ceil(bytes.byteLength / SHARD_BYTES);
  const paths = Array.from({ length: count }, (_, i) => `group1-shard${i + 1}of${count}-${tag}.bin`);
  const manifest = {
    format: TFJS_LAYERS_FORMAT,
    generatedBy: `convkit ${version}`,
    convertedBy: null,
    modelTopology,
    weightsManifest:
      count === 0
        ? []
        : [{ paths, weights: specs.map((s) => ({ name: `${s.layer}/${s.name}`, shape: s.shape, dtype: 'float32' })) }],
  };
  const weightFiles = paths.map((name, i) => ({
    name,
    chunks: [bytes.subarray(i * SHARD_BYTES, (i + 1) * SHARD_BYTES)],
  }));
  await writeModelDirectory(dir, weightFiles, `${JSON.stringify(manifest)}\n`);
}
