// Saving and loading models. convkit's own format is a directory with model.json (architecture,
// training config, format version, weights manifest naming the weights file, with the weights' byte
// length and SHA-256) and that weights file, weights-<hex>.bin (little-endian float32, in
// getWeights() order; saves before this scheme named it weights.bin, which loadModel still reads).
// loadModel also reads TensorFlow.js layers models, Keras .h5 files and Keras 3 .keras archives,
// telling them apart by content.
//
// Saving never leaves a directory that loads as neither the previous save nor the new one: every
// save writes its weights under a new name and fsyncs them, then replaces model.json atomically
// (temporary file, fsync, rename, fsync of the directory), which commits it, and only then removes
// the previous save's weights (see writeModelDirectory). The checksum still catches files changed
// by anything else.
import { createHash, randomBytes } from 'node:crypto';
import { access, open, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { SaveOptions } from '../engine/formats';
import { planLayers } from '../engine/core';
import { graphModel, orderGraph } from '../engine/functional';
import type { Model } from '../engine/model';
import { formats, Sequential } from '../engine/sequential';
import { describe, oneOf } from '../errors';
import { deserializeLayer } from '../layers';
import { getLoss } from '../losses';
import { optimizerFromConfig } from '../optimizers';
import { Tensor, shapeSize } from '../tensor';
import { version } from '../version';
import {
  fromLittleEndian,
  invalid,
  readModelFile,
  toLittleEndian,
  writeFileAtomic,
  writeModelDirectory,
} from './files';
import { HDF5_SIGNATURE } from './hdf5';
import { loadKerasH5 } from './keras_h5';
import { loadKerasArchive, loadKerasDirectory } from './keras_v3';
import { TFJS_LAYERS_FORMAT, loadTfjsModel, saveTfjsModel } from './tfjs_format';

export { writeFileAtomic };

export const MODEL_FORMAT = 'convkit-layers-model';
export const FORMAT_VERSION = 1;
/** The weights file's name: a new one on every save; older saves used 'weights.bin'. */
const WEIGHTS_FILE = /^weights(-[0-9a-f]+)?\.bin$/;

interface WeightEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
}

interface ModelJson {
  format: string;
  formatVersion: number;
  generatedBy: string;
  modelTopology: {
    className: 'Sequential' | 'Functional' | 'Model';
    config: {
      name: string;
      layers: { className: string; name?: string; config: Record<string, unknown>; inboundNodes?: unknown }[];
      inputLayers?: unknown;
      outputLayers?: unknown;
    };
    inputShape: number[];
  };
  trainingConfig: Record<string, unknown> | null;
  weightsManifest: { paths: string[]; weights: WeightEntry[] }[];
  weightsByteLength: number;
  weightsSha256: string;
}

/** `model.save(dir, options)`: writes the model to a directory in the format options asks for. */
export async function saveModel(model: Model, dir: string, options: SaveOptions = {}): Promise<void> {
  if (typeof dir !== 'string' || dir.length === 0)
    throw new TypeError(`save: the path must be a non-empty string, got ${describe(dir)}`);
  if (options === null || typeof options !== 'object')
    throw new TypeError(`save: options must be an object such as { format: 'tfjs' }, got ${describe(options)}`);
  if (oneOf(options.format ?? 'convkit', 'save format', ['convkit', 'tfjs'] as const) === 'tfjs')
    return saveTfjsModel(model, dir);
  const weights = await model.readWeights();
  const specs = model.weightSpecs();
  const chunks = weights.map((w) => toLittleEndian(w.data));
  const weightsFile = `weights-${randomBytes(8).toString('hex')}.bin`;
  const hash = createHash('sha256');
  for (const chunk of chunks) hash.update(chunk);
  const manifest: ModelJson = {
    format: MODEL_FORMAT,
    formatVersion: FORMAT_VERSION,
    generatedBy: `convkit ${version}`,
    modelTopology: {
      ...(model.toJSON() as Omit<ModelJson['modelTopology'], 'inputShape'>),
      inputShape: [...model.inputShape],
    },
    trainingConfig: model.trainingConfig(),
    weightsManifest: [
      {
        paths: [weightsFile],
        weights: specs.map((s) => ({ name: `${s.layer}/${s.name}`, shape: s.shape, dtype: 'float32' })),
      },
    ],
    weightsByteLength: chunks.reduce((sum, c) => sum + c.byteLength, 0),
    weightsSha256: hash.digest('hex'),
  };
  await writeModelDirectory(dir, [{ name: weightsFile, chunks }], `${JSON.stringify(manifest, null, 2)}\n`);
}

// model.save() reaches this through the engine's format registry (engine/formats.ts).
formats.register('save', saveModel);

function isIntArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((d) => Number.isSafeInteger(d) && d > 0);
}

const ZIP_SIGNATURE = Uint8Array.from([0x50, 0x4b, 0x03, 0x04]);

/** The first bytes of a file, which tell HDF5 and zip files from JSON. */
async function readHead(path: string, length: number): Promise<Uint8Array> {
  try {
    const handle = await open(path, 'r');
    try {
      const head = new Uint8Array(length);
      const { bytesRead } = await handle.read(head, 0, length, 0);
      return head.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new Error(`loadModel: ${path} cannot be read (${(error as Error).message})`);
  }
}

const startsWith = (head: Uint8Array, signature: Uint8Array) =>
  head.length >= signature.length && signature.every((b, i) => head[i] === b);

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * Loads a model, whatever wrote it:
 * - a directory (or its model.json) saved by `model.save()`, in convkit's or TensorFlow.js's
 *   layers format (tfjs-layers, or `tensorflowjs_converter` from Keras);
 * - a Keras HDF5 model file (`model.save('model.h5')`);
 * - a Keras 3 `.keras` archive, or a directory holding its config.json and model.weights.h5.
 * Every field is checked before any weight is used; an unsupported Keras layer or attribute is
 * refused with an error naming it. A convkit save comes back compiled as it was saved.
 * @param path A directory, a model.json, a .h5/.hdf5 file or a .keras archive.
 * @returns The model, built and with its weights: a Sequential, or a graph model (as `ck.model`
 *   makes) for a saved graph model or a Keras / tfjs Functional one.
 * @throws {RangeError} also for a graph with several inputs or outputs, shared layers, a cycle, or
 *   an inbound node naming a missing layer.
 * @throws {TypeError} when path is not a non-empty string.
 * @throws {RangeError} for a file whose content is wrong or unsupported (naming the file and field);
 *   an Error for a file that cannot be read.
 * @example
 * ```ts
 * import * as ck from 'convkit';
 * const model = ck.models.kerasMnist({ seed: 1 });
 * model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
 * await model.save('/tmp/mnist-model');
 * const loaded = await ck.loadModel('/tmp/mnist-model'); // also 'model.h5', 'model.keras', a tfjs model.json
 * console.log(loaded.loss); // 'sparseCategoricalCrossentropy': compiled as saved
 * const output = await loaded.predict(ck.tensor(new Float32Array(28 * 28), [1, 28, 28, 1])); // Tensor [1, 10]
 * ```
 */
export async function loadModel(path: string): Promise<Model> {
  if (typeof path !== 'string' || path.length === 0)
    throw new TypeError(`loadModel: the path must be a non-empty string, got ${describe(path)}`);
  const info = await stat(path).catch(() => undefined);
  if (info?.isFile() || (!info && /\.(h5|hdf5|keras)$/i.test(path))) {
    const head = await readHead(path, HDF5_SIGNATURE.length);
    if (startsWith(head, HDF5_SIGNATURE)) return loadKerasH5(path);
    if (startsWith(head, ZIP_SIGNATURE)) return loadKerasArchive(path);
    return loadJsonModel(path);
  }
  if (info?.isDirectory() && !(await exists(join(path, 'model.json'))) && (await exists(join(path, 'config.json')))) {
    return loadKerasDirectory(path);
  }
  return loadJsonModel(path.endsWith('.json') ? path : join(path, 'model.json'));
}

/** A model.json: convkit's format, or TensorFlow.js's layers format. */
async function loadJsonModel(jsonPath: string): Promise<Model> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(jsonPath, 'utf8'));
  } catch (error) {
    const reason =
      error instanceof SyntaxError
        ? `is not valid JSON (${error.message})`
        : `cannot be read (${(error as Error).message})`;
    throw new Error(`loadModel: ${jsonPath} ${reason}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) invalid(jsonPath, 'is not a JSON object');
  const json = parsed as Record<string, unknown>;
  // tfjs wrote no format field before version 1.0; a graph model gets its own refusal there.
  const tfjs =
    json.format === TFJS_LAYERS_FORMAT ||
    json.format === 'graph-model' ||
    (json.format === undefined && 'modelTopology' in json);
  if (tfjs) return loadTfjsModel(jsonPath, json);
  return loadConvkitModel(jsonPath, json);
}

async function loadConvkitModel(jsonPath: string, parsed: Record<string, unknown>): Promise<Model> {
  const base = dirname(jsonPath);
  const json = parsed as Partial<ModelJson>;
  if (json.format !== MODEL_FORMAT) {
    invalid(
      jsonPath,
      `format is '${String(json.format)}', expected '${MODEL_FORMAT}' (convkit) or a TensorFlow.js layers model (modelTopology + weightsManifest)`,
    );
  }
  if (json.formatVersion !== FORMAT_VERSION) {
    invalid(
      jsonPath,
      `formatVersion ${String(json.formatVersion)} is not supported (this convkit reads version ${FORMAT_VERSION})`,
    );
  }
  const topology = json.modelTopology;
  const graph = topology?.className === 'Functional' || topology?.className === 'Model';
  if (
    (topology?.className !== 'Sequential' && !graph) ||
    !Array.isArray(topology.config?.layers) ||
    topology.config.layers.length === 0
  ) {
    invalid(jsonPath, 'modelTopology must describe a Sequential or Functional model with at least one layer');
  }
  if (!isIntArray(topology.inputShape))
    invalid(jsonPath, 'modelTopology.inputShape must be an array of positive integers');

  let model: Model;
  let specs: { layer: string; name: string; shape: number[] }[];
  if (graph) {
    model = functionalFromJson(jsonPath, topology.config, topology.inputShape);
  } else {
    const layers = topology.config.layers.map((entry, i) => {
      try {
        return deserializeLayer(entry);
      } catch (error) {
        invalid(jsonPath, `layer ${i}: ${(error as Error).message}`);
      }
    });
    try {
      model = new Sequential({
        name: typeof topology.config.name === 'string' ? topology.config.name : undefined,
        layers,
      });
    } catch (error) {
      invalid(jsonPath, `the architecture does not build: ${(error as Error).message}`);
    }
  }
  try {
    // Shapes only: nothing is allocated until the file is known to hold what the architecture needs.
    const { inbound, graph: connected } = model.connections;
    specs = planLayers(model.layers, topology.inputShape, connected ? inbound : null).layers.flatMap(
      ({ layer, weights }) => weights.map((w) => ({ layer: layer.name, ...w })),
    );
  } catch (error) {
    invalid(jsonPath, `the architecture does not build: ${(error as Error).message}`);
  }

  const entries = json.weightsManifest?.[0]?.weights;
  const weightsFile = json.weightsManifest?.[0]?.paths?.[0];
  if (
    json.weightsManifest?.length !== 1 ||
    json.weightsManifest[0]?.paths?.length !== 1 ||
    typeof weightsFile !== 'string' ||
    !WEIGHTS_FILE.test(weightsFile) ||
    !Array.isArray(entries)
  ) {
    invalid(
      jsonPath,
      "weightsManifest must list one weights file ('weights-<hex>.bin', or 'weights.bin' as older saves named it) and its weights",
    );
  }
  if (entries.length !== specs.length)
    invalid(jsonPath, `the manifest lists ${entries.length} weights but the architecture has ${specs.length}`);
  entries.forEach((entry, i) => {
    const spec = specs[i];
    if (entry?.dtype !== 'float32' || !isIntArray(entry.shape) || entry.shape.join() !== spec.shape.join()) {
      invalid(
        jsonPath,
        `weight ${i} (${spec.layer}/${spec.name}) must be float32 of shape [${spec.shape.join(', ')}], the manifest says ${JSON.stringify(entry)}`,
      );
    }
  });
  const expectedBytes = specs.reduce((sum, s) => sum + shapeSize(s.shape) * 4, 0);
  if (json.weightsByteLength !== expectedBytes)
    invalid(
      jsonPath,
      `weightsByteLength is ${String(json.weightsByteLength)}, the architecture needs ${expectedBytes}`,
    );

  const binPath = join(base, weightsFile);
  // The size first: a wrong file is not read into memory whole (a missing one fails in the read).
  const info = await stat(binPath).catch(() => null);
  if (info !== null && info.size !== expectedBytes)
    invalid(binPath, `has ${info.size} bytes, model.json expects ${expectedBytes} (truncated or from another model)`);
  const bytes = await readModelFile(binPath);
  if (bytes.byteLength !== expectedBytes)
    invalid(binPath, `has ${bytes.byteLength} bytes, model.json expects ${expectedBytes} (changed while being read)`);
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== json.weightsSha256)
    invalid(
      binPath,
      'does not match the checksum in model.json (corrupted, or saved by a different save than model.json)',
    );

  let offset = 0;
  const weights = specs.map((spec) => {
    const count = shapeSize(spec.shape);
    const tensor = new Tensor(fromLittleEndian(bytes, offset, count), spec.shape);
    offset += count * 4;
    return tensor;
  });
  try {
    model.build(topology.inputShape);
  } catch (error) {
    invalid(jsonPath, `the architecture does not build: ${(error as Error).message}`);
  }
  try {
    model.setWeights(weights);
  } catch (error) {
    invalid(binPath, (error as Error).message);
  }

  if (json.trainingConfig) {
    const config = json.trainingConfig as { loss?: unknown; metrics?: unknown; optimizer?: Record<string, unknown> };
    try {
      model.compile({
        loss: getLoss(config.loss),
        optimizer: optimizerFromConfig(config.optimizer ?? {}),
        metrics: config.metrics as string[],
      });
    } catch (error) {
      invalid(jsonPath, `trainingConfig: ${(error as Error).message}`);
    }
  }
  return model;
}

/** One [name, 0, 0] endpoint of inputLayers / outputLayers: several inputs or outputs are refused, naming them. */
function endpoint(jsonPath: string, value: unknown, field: string): string {
  const list = Array.isArray(value) && Array.isArray(value[0]) ? value : [value];
  if (list.length !== 1) {
    invalid(
      jsonPath,
      `modelTopology.config.${field} lists ${list.length} ${field === 'inputLayers' ? 'inputs' : 'outputs'} (${JSON.stringify(value)}): convkit graph models have one input and one output`,
    );
  }
  const [name, node, tensor] = (list[0] ?? []) as unknown[];
  if (typeof name !== 'string' || node !== 0 || tensor !== 0)
    invalid(jsonPath, `modelTopology.config.${field} must be [[name, 0, 0]], got ${JSON.stringify(value)}`);
  return name;
}

/** A graph model from convkit's Functional topology (Functional.toJSON), its layers ordered from the input. */
function functionalFromJson(
  jsonPath: string,
  config: ModelJson['modelTopology']['config'],
  inputShape: number[],
): Model {
  const input = endpoint(jsonPath, config.inputLayers, 'inputLayers');
  const output = endpoint(jsonPath, config.outputLayers, 'outputLayers');
  const entries = config.layers.filter((entry, i) => {
    if (entry === null || typeof entry !== 'object') invalid(jsonPath, `layer ${i} is not an object`);
    return !(entry.className === 'InputLayer' && entry.name === input);
  });
  if (entries.length !== config.layers.length - 1)
    invalid(jsonPath, `modelTopology has no InputLayer named '${input}' (inputLayers names it)`);
  const nodes = entries.map((entry) => {
    const name = entry.name ?? (entry.config as { name?: unknown } | undefined)?.name;
    if (typeof name !== 'string') invalid(jsonPath, `a layer (${String(entry.className)}) has no name`);
    const nodes = entry.inboundNodes;
    if (!Array.isArray(nodes) || nodes.length !== 1 || !Array.isArray(nodes[0]) || nodes[0].length === 0) {
      invalid(
        jsonPath,
        `layer '${name}': inboundNodes must be one node [[source, 0, 0, {}], ...] (a layer applied once), got ${JSON.stringify(nodes)}`,
      );
    }
    const sources = (nodes[0] as unknown[]).map((source) => {
      if (!Array.isArray(source) || typeof source[0] !== 'string' || source[1] !== 0 || source[2] !== 0)
        invalid(jsonPath, `layer '${name}': inbound ${JSON.stringify(source)} must be [layerName, 0, 0, {}]`);
      return source[0] as string;
    });
    return { name, sources };
  });
  let order: { order: number[]; inbound: number[][] };
  try {
    order = orderGraph(nodes, input, output);
  } catch (error) {
    invalid(jsonPath, `modelTopology: ${(error as Error).message}`);
  }
  const layers = order.order.map((i) => {
    try {
      return deserializeLayer(entries[i]);
    } catch (error) {
      invalid(jsonPath, `layer '${nodes[i].name}': ${(error as Error).message}`);
    }
  });
  try {
    return graphModel({
      name: typeof config.name === 'string' ? config.name : 'model',
      layers,
      inbound: order.inbound,
      inputName: input,
      inputShape,
    });
  } catch (error) {
    invalid(jsonPath, `the architecture does not build: ${(error as Error).message}`);
  }
}
