// Seeded fuzzing of the two file readers, loadModel (model.json + its weights file) and loadIdx (plain
// and gzipped IDX): truncation, bit flips, inserted and deleted bytes, header lengths that point
// past the end, and in model.json wrong shapes, dtypes, paths, checksums and values of the wrong
// JSON type. Every case must settle within a time bound and either
//   - fail with a clear error: a RangeError for content that is wrong, an Error for a file that
//     is not JSON, a weights file a damaged manifest names but that is not there, or a gzip stream
//     that is corrupt, a TypeError for an IDX type that cannot be used, its message naming the file; or
//   - succeed with exactly what the files say (loadModel: the weights are the weights file's bytes;
//     loadIdx: the values an independent IDX decoder reads).
// CONVKIT_FUZZ_CASES (default 2000) sets the number of cases, CONVKIT_FUZZ_SEED the seed.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ck from '../../lib';
import { rng } from '../helpers/random';

const totalCases = Number(process.env.CONVKIT_FUZZ_CASES ?? 2000);
const seed = Number(process.env.CONVKIT_FUZZ_SEED ?? 20240601);
const caseTimeLimitMs = 5000;

type Random = () => number;
const int = (random: Random, lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
const pick = <T>(random: Random, values: readonly T[]): T => values[int(random, 0, values.length - 1)];

// ---- byte-level mutations ---------------------------------------------------------------------

type ByteMutation = (bytes: Uint8Array, random: Random) => { bytes: Uint8Array; what: string };

const byteMutations: ByteMutation[] = [
  (bytes, random) => {
    const length = int(random, 0, bytes.length - 1);
    return { bytes: bytes.slice(0, length), what: `truncated to ${length} bytes` };
  },
  (bytes, random) => {
    const out = bytes.slice();
    const flips = int(random, 1, 8);
    for (let i = 0; i < flips; i++) out[int(random, 0, out.length - 1)] ^= 1 << int(random, 0, 7);
    return { bytes: out, what: `${flips} bit flips` };
  },
  (bytes, random) => {
    const at = int(random, 0, bytes.length);
    const inserted = Uint8Array.from({ length: int(random, 1, 16) }, () => int(random, 0, 255));
    const out = new Uint8Array(bytes.length + inserted.length);
    out.set(bytes.subarray(0, at));
    out.set(inserted, at);
    out.set(bytes.subarray(at), at + inserted.length);
    return { bytes: out, what: `${inserted.length} bytes inserted at ${at}` };
  },
  (bytes, random) => {
    const at = int(random, 0, bytes.length - 1);
    const count = Math.min(int(random, 1, 16), bytes.length - at);
    const out = new Uint8Array(bytes.length - count);
    out.set(bytes.subarray(0, at));
    out.set(bytes.subarray(at + count), at);
    return { bytes: out, what: `${count} bytes deleted at ${at}` };
  },
  (bytes, random) => {
    const out = bytes.slice();
    const at = int(random, 0, out.length - 1);
    const count = Math.min(int(random, 1, 32), out.length - at);
    for (let i = 0; i < count; i++) out[at + i] = int(random, 0, 255);
    return { bytes: out, what: `${count} bytes overwritten at ${at}` };
  },
];

function mutateBytes(bytes: Uint8Array, random: Random) {
  return pick(random, byteMutations)(bytes, random);
}

// ---- running a case ---------------------------------------------------------------------------

/** Settles with the call's outcome, or fails the test when it takes longer than the limit. */
async function bounded<T>(what: string, call: () => Promise<T>): Promise<{ value?: T; error?: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const started = performance.now();
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`hang: ${what} did not settle within ${caseTimeLimitMs} ms`)),
      caseTimeLimitMs,
    );
  });
  try {
    return { value: await Promise.race([call(), timeout]) };
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('hang:')) throw error;
    return { error };
  } finally {
    clearTimeout(timer);
    // A synchronous stretch cannot be interrupted, but it can be measured.
    const elapsed = performance.now() - started;
    if (elapsed > caseTimeLimitMs) {
      // biome-ignore lint/correctness/noUnsafeFinally: a case that settled too slowly fails even if it returned
      throw new Error(`${what} took ${elapsed.toFixed(0)} ms (limit ${caseTimeLimitMs} ms)`);
    }
  }
}

/** Asserts an error is one of the allowed classes and that its message names one of `files`. */
function expectClearError(
  error: unknown,
  allowed: (name: string, message: string) => boolean,
  files: string[],
  what: string,
): void {
  if (!(error instanceof Error)) expect.fail(`${what}: threw a non-Error: ${String(error)}`);
  if (!allowed(error.name, error.message)) expect.fail(`${what}: unexpected ${error.name}: ${error.message}`);
  if (!files.some((file) => error.message.includes(file)))
    expect.fail(`${what}: the message does not name the file: ${error.message}`);
}

// ---- loadModel --------------------------------------------------------------------------------

let root = '';
let modelJson: Record<string, unknown> = {};
let modelText = '';
let weightsBin: Uint8Array = new Uint8Array(0);
/** The weights file the saved model.json names (each save names its own). */
let weightsFile = '';

function fuzzModel() {
  return ck.sequential({
    name: 'fuzzed',
    seed: 5,
    layers: [
      ck.layers.conv2d({ inputShape: [6, 6, 1], filters: 3, kernelSize: 3, activation: 'relu' }),
      ck.layers.batchNormalization(),
      ck.layers.maxPooling2d({ poolSize: 2 }),
      ck.layers.flatten(),
      ck.layers.dropout({ rate: 0.25 }),
      ck.layers.dense({ units: 4, activation: 'softmax' }),
    ],
  });
}

/** Values of the wrong type, or out of range, for any field of model.json. */
const confusers: readonly unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e300,
  -1e300,
  2 ** 31,
  2 ** 53,
  '',
  'x',
  'float32',
  '373288',
  [],
  [1, 2],
  [[]],
  {},
  { a: 1 },
  Array.from({ length: 2000 }, () => 7),
  [2 ** 31, 2 ** 31, 1],
];

/** Every path to a value inside a JSON document. */
function jsonPaths(
  value: unknown,
  path: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  out.push(path);
  if (Array.isArray(value)) value.forEach((v, i) => jsonPaths(v, [...path, i], out));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) jsonPaths(v, [...path, k], out);
  return out;
}

function setAt(document: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const parent = path.slice(0, -1).reduce<any>((node, key) => node[key], document);
  const key = path[path.length - 1];
  if (value === undefined) {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  } else {
    parent[key] = value;
  }
  return document;
}

/** Fields worth a targeted blow: sizes, shapes, dtypes, paths, checksums, layer settings. */
function targetedJson(random: Random): { json: unknown; what: string } {
  const json = structuredClone(modelJson) as any;
  const weights = json.weightsManifest[0].weights;
  const layers = json.modelTopology.config.layers;
  const weight = int(random, 0, weights.length - 1);
  const layer = int(random, 0, layers.length - 1);
  const dims = (shape: number[]) =>
    pick(random, [
      shape.map((d) => d + 1),
      [...shape, 1],
      shape.slice(1),
      shape.map(() => 0),
      shape.map((d) => -d),
      [2 ** 31, 2 ** 31],
      shape.map((d) => d * 1000),
      [...shape].reverse(),
      shape.map((d) => d + 0.5),
    ]);
  const choices: [string, () => void][] = [
    [
      `weights[${weight}].shape`,
      () => {
        weights[weight].shape = dims(weights[weight].shape);
      },
    ],
    [
      `weights[${weight}].dtype`,
      () => {
        weights[weight].dtype = pick(random, ['float16', 'int32', 'float64', null, 32]);
      },
    ],
    [
      `weights[${weight}] removed`,
      () => {
        weights.splice(weight, 1);
      },
    ],
    [
      `weights[${weight}] duplicated`,
      () => {
        weights.splice(weight, 0, weights[weight]);
      },
    ],
    [
      'paths',
      () => {
        json.weightsManifest[0].paths = pick(random, [
          ['../weights.bin'],
          ['weights.bin', 'weights.bin'],
          [],
          ['/etc/passwd'],
          'weights.bin',
          [7],
        ]);
      },
    ],
    [
      'weightsManifest',
      () => {
        json.weightsManifest = pick(random, [[], [json.weightsManifest[0], json.weightsManifest[0]], {}, null]);
      },
    ],
    [
      'weightsSha256',
      () => {
        json.weightsSha256 = pick(random, [
          '',
          json.weightsSha256.toUpperCase(),
          json.weightsSha256.slice(1),
          `${json.weightsSha256.slice(0, -1)}0`,
          null,
        ]);
      },
    ],
    [
      'weightsByteLength',
      () => {
        json.weightsByteLength = pick(random, [
          json.weightsByteLength + 4,
          json.weightsByteLength - 4,
          2 ** 53,
          -4,
          0,
          String(json.weightsByteLength),
          1e300,
        ]);
      },
    ],
    [
      'inputShape',
      () => {
        json.modelTopology.inputShape = dims(json.modelTopology.inputShape);
      },
    ],
    [
      'formatVersion',
      () => {
        json.formatVersion = pick(random, [0, 2, '1', null]);
      },
    ],
    [
      `layers[${layer}].className`,
      () => {
        layers[layer].className = pick(random, ['Conv3D', 'constructor', '__proto__', 'toString', '', 5]);
      },
    ],
    [
      `layers[${layer}].config.name`,
      () => {
        layers[layer].config.name = layers[(layer + 1) % layers.length].config.name;
      },
    ],
    [
      `layers[${layer}] size fields`,
      () => {
        const config = layers[layer].config;
        for (const key of ['filters', 'units', 'kernelSize', 'poolSize', 'strides', 'rate', 'momentum', 'epsilon']) {
          if (key in config)
            config[key] = pick(random, [0, -3, 3e7, 1e9, 2 ** 31, 2.5, [100, 100], [2 ** 31, 1], 'x', null, NaN]);
        }
      },
    ],
    [
      'layers',
      () => {
        json.modelTopology.config.layers = pick(random, [
          [],
          [layers[0]],
          [...layers, layers[layers.length - 1]],
          [...layers].reverse(),
          null,
        ]);
      },
    ],
    [
      'trainingConfig',
      () => {
        json.trainingConfig = pick(random, [
          5,
          'adam',
          { loss: 'hinge' },
          { loss: 'mse', optimizer: { kind: 'adagrad' } },
          { loss: 'mse', optimizer: { kind: 'adam', learningRate: -1 } },
          { loss: 'mse', metrics: 'accuracy' },
        ]);
      },
    ],
  ];
  const [what, apply] = pick(random, choices);
  apply();
  return { json, what };
}

interface ModelCase {
  what: string;
  json: string;
  weights: Uint8Array;
}

function modelCase(index: number, random: Random): ModelCase {
  const kind = index % 4;
  if (kind === 0) {
    const { bytes, what } = mutateBytes(new TextEncoder().encode(modelText), random);
    return { what: `model.json ${what}`, json: new TextDecoder().decode(bytes), weights: weightsBin };
  }
  if (kind === 1) {
    const paths = jsonPaths(modelJson);
    const path = pick(random, paths);
    const value = random() < 0.15 && path.length > 0 ? undefined : pick(random, confusers);
    const json = setAt(structuredClone(modelJson), path, value);
    return {
      what: `model.json ${path.join('.') || '(root)'} = ${value === undefined ? '(deleted)' : JSON.stringify(value)?.slice(0, 40)}`,
      json: JSON.stringify(json),
      weights: weightsBin,
    };
  }
  if (kind === 2) {
    const { json, what } = targetedJson(random);
    return { what: `model.json ${what}`, json: JSON.stringify(json), weights: weightsBin };
  }
  // weights.bin changed; half the time model.json's checksum is updated to match, so the values
  // themselves (NaN, Infinity, anything) reach setWeights.
  const { bytes, what } = mutateBytes(weightsBin, random);
  if (random() < 0.5) return { what: `weights.bin ${what}`, json: modelText, weights: bytes };
  const json = { ...modelJson, weightsSha256: createHash('sha256').update(bytes).digest('hex') };
  return { what: `weights.bin ${what}, checksum updated`, json: JSON.stringify(json), weights: bytes };
}

/** The loaded weights as little-endian bytes, in order. */
function weightBytes(model: ck.Model): Uint8Array {
  const weights = model.getWeights();
  const out = new Uint8Array(weights.reduce((n, w) => n + w.size * 4, 0));
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const w of weights) for (const v of w.data) view.setFloat32(offset++ * 4, v, true);
  return out;
}

// ---- loadIdx ----------------------------------------------------------------------------------

const imageCount = 5;
let images: Uint8Array = new Uint8Array(0);
let labels: Uint8Array = new Uint8Array(0);

function idxFile(type: number, shape: number[], values: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * shape.length);
  const view = new DataView(header.buffer);
  header[2] = type;
  header[3] = shape.length;
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(header.length + values.length);
  out.set(header);
  out.set(values, header.length);
  return out;
}

/** Header fields set to wrong values: dimensions past the end or zero, type codes, ranks. */
function mutateHeader(bytes: Uint8Array, random: Random): { bytes: Uint8Array; what: string } {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  const rank = out[3];
  const choice = int(random, 0, 3);
  if (choice === 0) {
    const axis = int(random, 0, rank - 1);
    const value = pick(random, [0, 1, view.getUint32(4 + 4 * axis) + 1, 0xffffffff, 2 ** 31, 65536]);
    view.setUint32(4 + 4 * axis, value, false);
    return { bytes: out, what: `dimension ${axis} = ${value}` };
  }
  if (choice === 1) {
    out[2] = pick(random, [0x00, 0x07, 0x09, 0x0b, 0x0c, 0x0d, 0x0e, 0xff]);
    return { bytes: out, what: `type code ${out[2]}` };
  }
  if (choice === 2) {
    out[3] = pick(random, [0, 1, 2, 4, 5, 255]);
    return { bytes: out, what: `rank ${out[3]}` };
  }
  out[int(random, 0, 1)] = int(random, 1, 255);
  return { bytes: out, what: 'magic number' };
}

/** An independent reading of an IDX images/labels pair, or null when loadIdx must reject it. */
function referenceIdx(
  imageBytes: Uint8Array,
  labelBytes: Uint8Array,
): { x: Float32Array; shape: number[]; y: Int32Array } | null {
  const decode = (bytes: Uint8Array) => {
    if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
      try {
        bytes = gunzipSync(bytes);
      } catch {
        return null;
      }
    }
    if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0x08) return null;
    const rank = bytes[3];
    if (bytes.length < 4 + 4 * rank) return null;
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
    const count = shape.reduce((a, b) => a * b, 1);
    if (bytes.length !== 4 + 4 * rank + count) return null;
    return { shape, values: bytes.subarray(4 + 4 * rank) };
  };
  const imageFile = decode(imageBytes);
  const labelFile = decode(labelBytes);
  if (!imageFile || !labelFile || imageFile.shape.length !== 3 || labelFile.shape.length !== 1) return null;
  if (imageFile.shape[0] !== labelFile.shape[0]) return null;
  return {
    x: Float32Array.from(imageFile.values, (v) => v / 255),
    shape: [...imageFile.shape, 1],
    y: Int32Array.from(labelFile.values),
  };
}

interface IdxCase {
  what: string;
  images: Uint8Array;
  labels: Uint8Array;
}

function idxCase(index: number, random: Random): IdxCase {
  const kind = index % 5;
  if (kind === 0) {
    const { bytes, what } = mutateBytes(images, random);
    return { what: `images ${what}`, images: bytes, labels };
  }
  if (kind === 1) {
    const { bytes, what } = mutateBytes(labels, random);
    return { what: `labels ${what}`, images, labels: bytes };
  }
  if (kind === 2) {
    const target = random() < 0.7 ? 'images' : 'labels';
    const { bytes, what } = mutateHeader(target === 'images' ? images : labels, random);
    return {
      what: `${target} header ${what}`,
      images: target === 'images' ? bytes : images,
      labels: target === 'labels' ? bytes : labels,
    };
  }
  if (kind === 3) {
    // A corrupt gzip stream.
    const { bytes, what } = mutateBytes(gzipSync(images), random);
    return { what: `gzipped images, stream ${what}`, images: bytes, labels: gzipSync(labels) };
  }
  // A sound gzip stream around corrupt IDX content.
  const mutated = random() < 0.5 ? mutateBytes(images, random) : mutateHeader(images, random);
  return { what: `gzipped images, content ${mutated.what}`, images: gzipSync(mutated.bytes), labels: gzipSync(labels) };
}

// ---- the test ---------------------------------------------------------------------------------

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'convkit-fuzz-'));
  const model = fuzzModel();
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  await model.save(join(root, 'original'));
  modelText = await readFile(join(root, 'original', 'model.json'), 'utf8');
  modelJson = JSON.parse(modelText);
  weightsFile = (modelJson as { weightsManifest: { paths: string[] }[] }).weightsManifest[0].paths[0];
  weightsBin = new Uint8Array(await readFile(join(root, 'original', weightsFile)));
  const pixels = Uint8Array.from({ length: imageCount * 4 * 3 }, (_, i) => (i * 37) % 256);
  images = idxFile(0x08, [imageCount, 4, 3], pixels);
  labels = idxFile(
    0x08,
    [imageCount],
    Uint8Array.from({ length: imageCount }, (_, i) => i % 3),
  );
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe(`corrupt files (${totalCases} seeded mutations, seed ${seed})`, () => {
  it(`loadModel: ${Math.ceil(totalCases / 2)} damaged model.json / weights.bin pairs fail clearly or load exactly what they say`, async () => {
    const random = rng(seed);
    const dir = join(root, 'case');
    const jsonPath = join(dir, 'model.json');
    const binPath = join(dir, weightsFile);
    // A damaged name in the manifest can name a weights file that is not there.
    const missingWeights = (message: string) => /weights-[0-9a-f]+\.bin cannot be read \(ENOENT/.test(message);
    await mkdir(dir, { recursive: true });
    const tally = { loaded: 0, rejected: 0 };
    for (let index = 0; index < Math.ceil(totalCases / 2); index++) {
      const testCase = modelCase(index, random);
      const what = `case ${index} (seed ${seed}): ${testCase.what}`;
      await writeFile(jsonPath, testCase.json);
      await writeFile(binPath, testCase.weights);
      const { value: model, error } = await bounded(what, () => ck.loadModel(dir));
      if (model) {
        tally.loaded += 1;
        // No partial success: the weights are exactly the file's, in the manifest's shapes.
        const manifest = JSON.parse(testCase.json).weightsManifest[0].weights as { shape: number[] }[];
        expect(
          model.getWeights().map((w) => [...w.shape]),
          what,
        ).toEqual(manifest.map((w) => w.shape));
        expect(
          Buffer.from(weightBytes(model)).equals(Buffer.from(testCase.weights)),
          `${what}: weights equal weights.bin`,
        ).toBe(true);
        model.dispose();
      } else {
        tally.rejected += 1;
        expectClearError(
          error,
          (name, message) =>
            name === 'RangeError' ||
            (name === 'Error' && (/is not valid JSON/.test(message) || missingWeights(message))),
          [jsonPath, binPath, join(dir, 'weights-')],
          what,
        );
      }
    }
    // The generator must reach both outcomes, or it is not testing what it claims.
    expect(tally.rejected).toBeGreaterThan(tally.loaded);
    expect(tally.loaded).toBeGreaterThan(0);
  });

  it(`loadIdx: ${Math.floor(totalCases / 2)} damaged images / labels files (plain and gzipped) fail clearly or read exactly what they hold`, async () => {
    const random = rng(seed + 1);
    const imagesPath = join(root, 'images-idx3-ubyte');
    const labelsPath = join(root, 'labels-idx1-ubyte');
    const tally = { loaded: 0, rejected: 0 };
    for (let index = 0; index < Math.floor(totalCases / 2); index++) {
      const testCase = idxCase(index, random);
      const what = `case ${index} (seed ${seed + 1}): ${testCase.what}`;
      await writeFile(imagesPath, testCase.images);
      await writeFile(labelsPath, testCase.labels);
      const expected = referenceIdx(testCase.images, testCase.labels);
      const { value: data, error } = await bounded(what, () => ck.datasets.loadIdx(imagesPath, labelsPath));
      if (data) {
        tally.loaded += 1;
        expect(expected, `${what}: loaded, but an IDX decoder rejects it`).not.toBeNull();
        expect([...data.x.shape], what).toEqual(expected!.shape);
        expect(data.x.data, what).toEqual(expected!.x);
        expect(data.y, what).toEqual(expected!.y);
      } else {
        tally.rejected += 1;
        expect(expected, `${what}: rejected (${(error as Error).message}), but it is a valid pair`).toBeNull();
        expectClearError(
          error,
          (name, message) =>
            name === 'RangeError' || name === 'TypeError' || (name === 'Error' && /corrupt gzip stream/.test(message)),
          [imagesPath, labelsPath],
          what,
        );
      }
    }
    expect(tally.rejected).toBeGreaterThan(tally.loaded);
    expect(tally.loaded).toBeGreaterThan(0);
  });
});
