// Saving and loading models: a directory with model.json (architecture, training config, format
// version, weights manifest with the weights' byte length and SHA-256) and weights.bin
// (little-endian float32, in getWeights() order).
//
// Saving is atomic per file (write to a temporary file, fsync, rename); the checksum in model.json
// makes a torn pair (new weights.bin beside an old model.json after a crash) fail loudly on load.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { planLayers, Sequential } from '../engine/sequential';
import { deserializeLayer } from '../layers';
import { getLoss } from '../losses';
import { optimizerFromConfig } from '../optimizers';
import { Tensor, describe, shapeSize } from '../tensor';
import { version } from '../version';

export const MODEL_FORMAT = 'convkit-layers-model';
export const FORMAT_VERSION = 1;

interface WeightEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
}

interface ModelJson {
  format: string;
  formatVersion: number;
  generatedBy: string;
  modelTopology: { className: 'Sequential'; config: { name: string; layers: { className: string; config: Record<string, unknown> }[] }; inputShape: number[] };
  trainingConfig: Record<string, unknown> | null;
  weightsManifest: { paths: string[]; weights: WeightEntry[] }[];
  weightsByteLength: number;
  weightsSha256: string;
}

const littleEndian = endianness() === 'LE';

/** float32 values as little-endian bytes (a copy-free view on little-endian hosts). */
function toLittleEndian(data: Float32Array): Uint8Array {
  if (littleEndian) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const bytes = new Uint8Array(data.byteLength);
  const view = new DataView(bytes.buffer);
  data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return bytes;
}

function fromLittleEndian(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 4);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Writes a file atomically: temporary file in the same directory, fsync, rename over the target. */
export async function writeFileAtomic(path: string, chunks: Uint8Array[] | string): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const handle = await open(temporary, 'w');
  try {
    if (typeof chunks === 'string') {
      await handle.writeFile(chunks, 'utf8');
    } else {
      for (const chunk of chunks) await handle.write(chunk);
    }
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

export async function saveModel(model: Sequential, dir: string): Promise<void> {
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError(`save: the path must be a non-empty string, got ${describe(dir)}`);
  const weights = model.getWeights();
  const specs = model.weightSpecs();
  const chunks = weights.map((w) => toLittleEndian(w.data));
  const hash = createHash('sha256');
  for (const chunk of chunks) hash.update(chunk);
  const manifest: ModelJson = {
    format: MODEL_FORMAT,
    formatVersion: FORMAT_VERSION,
    generatedBy: `convkit ${version}`,
    modelTopology: { ...(model.toJSON() as Omit<ModelJson['modelTopology'], 'inputShape'>), inputShape: [...model.inputShape] },
    trainingConfig: model.trainingConfig(),
    weightsManifest: [{ paths: ['weights.bin'], weights: specs.map((s) => ({ name: `${s.layer}/${s.name}`, shape: s.shape, dtype: 'float32' })) }],
    weightsByteLength: chunks.reduce((sum, c) => sum + c.byteLength, 0),
    weightsSha256: hash.digest('hex'),
  };
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, 'weights.bin'), chunks);
  await writeFileAtomic(join(dir, 'model.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

function invalid(path: string, message: string): never {
  throw new RangeError(`loadModel: ${path}: ${message}`);
}

function isIntArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((d) => Number.isSafeInteger(d) && d > 0);
}

/** Loads a model saved by model.save(dir); every field is checked before any weight is used. */
export async function loadModel(dir: string): Promise<Sequential> {
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError(`loadModel: the path must be a non-empty string, got ${describe(dir)}`);
  const jsonPath = dir.endsWith('.json') ? dir : join(dir, 'model.json');
  const base = dir.endsWith('.json') ? join(dir, '..') : dir;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(jsonPath, 'utf8'));
  } catch (error) {
    const reason = error instanceof SyntaxError ? `is not valid JSON (${error.message})` : `cannot be read (${(error as Error).message})`;
    throw new Error(`loadModel: ${jsonPath} ${reason}`);
  }
  const json = parsed as Partial<ModelJson>;
  if (json === null || typeof json !== 'object') invalid(jsonPath, 'is not a JSON object');
  if (json.format !== MODEL_FORMAT) invalid(jsonPath, `format is '${String(json.format)}', expected '${MODEL_FORMAT}'`);
  if (json.formatVersion !== FORMAT_VERSION) {
    invalid(jsonPath, `formatVersion ${String(json.formatVersion)} is not supported (this convkit reads version ${FORMAT_VERSION})`);
  }
  const topology = json.modelTopology;
  if (!topology || topology.className !== 'Sequential' || !Array.isArray(topology.config?.layers) || topology.config.layers.length === 0) {
    invalid(jsonPath, 'modelTopology must describe a Sequential model with at least one layer');
  }
  if (!isIntArray(topology.inputShape)) invalid(jsonPath, 'modelTopology.inputShape must be an array of positive integers');

  const layers = topology.config.layers.map((entry, i) => {
    try {
      return deserializeLayer(entry);
    } catch (error) {
      invalid(jsonPath, `layer ${i}: ${(error as Error).message}`);
    }
  });
  let model: Sequential;
  let specs: { layer: string; name: string; shape: number[] }[];
  try {
    model = new Sequential({ name: typeof topology.config.name === 'string' ? topology.config.name : undefined, layers });
    // Shapes only: nothing is allocated until the file is known to hold what the architecture needs.
    specs = planLayers(model.layers, topology.inputShape).layers.flatMap(({ layer, weights }) => weights.map((w) => ({ layer: layer.name, ...w })));
  } catch (error) {
    invalid(jsonPath, `the architecture does not build: ${(error as Error).message}`);
  }

  const entries = json.weightsManifest?.[0]?.weights;
  if (json.weightsManifest?.length !== 1 || json.weightsManifest[0].paths?.length !== 1 || json.weightsManifest[0].paths[0] !== 'weights.bin' || !Array.isArray(entries)) {
    invalid(jsonPath, "weightsManifest must list the one file 'weights.bin' and its weights");
  }
  if (entries.length !== specs.length) invalid(jsonPath, `the manifest lists ${entries.length} weights but the architecture has ${specs.length}`);
  entries.forEach((entry, i) => {
    const spec = specs[i];
    if (entry?.dtype !== 'float32' || !isIntArray(entry.shape) || entry.shape.join() !== spec.shape.join()) {
      invalid(jsonPath, `weight ${i} (${spec.layer}/${spec.name}) must be float32 of shape [${spec.shape.join(', ')}], the manifest says ${JSON.stringify(entry)}`);
    }
  });
  const expectedBytes = specs.reduce((sum, s) => sum + shapeSize(s.shape) * 4, 0);
  if (json.weightsByteLength !== expectedBytes) invalid(jsonPath, `weightsByteLength is ${String(json.weightsByteLength)}, the architecture needs ${expectedBytes}`);

  const binPath = join(base, 'weights.bin');
  let bytes: Uint8Array;
  try {
    // The size first: a wrong file is not read into memory whole.
    const { size } = await stat(binPath);
    if (size !== expectedBytes) invalid(binPath, `has ${size} bytes, model.json expects ${expectedBytes} (truncated or from another model)`);
    bytes = await readFile(binPath);
  } catch (error) {
    if (error instanceof RangeError) throw error;
    throw new Error(`loadModel: ${binPath} cannot be read (${(error as Error).message})`);
  }
  if (bytes.byteLength !== expectedBytes) invalid(binPath, `has ${bytes.byteLength} bytes, model.json expects ${expectedBytes} (changed while being read)`);
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== json.weightsSha256) invalid(binPath, 'does not match the checksum in model.json (corrupted, or saved by a different save than model.json)');

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
      model.compile({ loss: getLoss(config.loss), optimizer: optimizerFromConfig(config.optimizer ?? {}), metrics: config.metrics as string[] });
    } catch (error) {
      invalid(jsonPath, `trainingConfig: ${(error as Error).message}`);
    }
  }
  return model;
}
