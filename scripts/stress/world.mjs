// The stress test's fixed world, built the same on every thread from a seed: two small
// architectures, a table of weight sets and training scripts for each, seeded data, and the serial
// references (per-image outputs, evaluations and training replays, each computed on a private model
// nobody else touches) that concurrent results are checked against. Also the bookkeeping of what
// each shared model may hold at any moment (Slot) and the error classifier (Recorder).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ck = await import(pathToFileURL(join(root, 'dist', 'esm', 'index.mjs')).href);
const { Random } = createRequire(import.meta.url)(join(root, 'dist', 'cjs', 'random.js'));

/** Seeded floats in [0, 1), from the library's own generator (lib/random.ts). */
export function rng(seed) {
  const random = new Random(seed);
  return () => random.next();
}

/** A seed for a named part of the run, so each context's choices depend only on the run's seed. */
export function deriveSeed(seed, label) {
  let hash = (seed ^ 0x9e3779b9) >>> 0;
  for (const char of String(label)) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return hash;
}

/** Seeded choices for one context. */
export class Chooser {
  constructor(seed) {
    this.random = rng(seed);
  }
  int(n) {
    return Math.floor(this.random() * n);
  }
  pick(items) {
    return items[this.int(items.length)];
  }
  chance(p) {
    return this.random() < p;
  }
  /** One key of { key: weight }. */
  weighted(table) {
    const entries = Object.entries(table);
    let r = this.random() * entries.reduce((sum, [, w]) => sum + w, 0);
    for (const [key, w] of entries) {
      r -= w;
      if (r < 0) return key;
    }
    return entries[entries.length - 1][0];
  }
}

export const LOSSES = ['sparseCategoricalCrossentropy', 'categoricalCrossentropy'];

/**
 * The architectures: a tiny convnet (one 256-image predict is one native batch of a few ms), and
 * conv 5x5 8->16 'same' then conv 3x3 16 'same' on 28x28x8 (the second runs Winograd).
 */
const ARCHITECTURES = {
  tiny: {
    inputShape: [8, 8, 1],
    classes: 4,
    poolSize: 256,
    largeBatchSizes: [32, 100, 256],
    layers: () => [
      ck.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, activation: 'relu' }),
      ck.layers.maxPooling2d({ poolSize: 2 }),
      ck.layers.flatten(),
      ck.layers.dense({ units: 4, activation: 'softmax' }),
    ],
  },
  winograd: {
    inputShape: [28, 28, 8],
    classes: 4,
    poolSize: 48,
    largeBatchSizes: [16, 48],
    layers: () => [
      ck.layers.conv2d({ inputShape: [28, 28, 8], filters: 16, kernelSize: 5, padding: 'same', activation: 'relu' }),
      ck.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
      ck.layers.maxPooling2d({ poolSize: 2 }),
      ck.layers.flatten(),
      ck.layers.dense({ units: 4, activation: 'softmax' }),
    ],
  },
};
export const ARCHITECTURE_NAMES = Object.keys(ARCHITECTURES);

const WEIGHT_SETS = 3;

/** Training scripts: a seeded fit (shuffled batches) or a run of trainOnBatch calls, per loss. */
const SCRIPTS = [
  { name: 'fitSparseAdam', kind: 'fit', loss: LOSSES[0], optimizer: 'adam', samples: 32, batchSize: 8, fitSeed: 11 },
  { name: 'fitDenseSgd', kind: 'fit', loss: LOSSES[1], optimizer: 'sgd', samples: 24, batchSize: 8, fitSeed: 12 },
  {
    name: 'batchesSparseRmsprop',
    kind: 'trainOnBatch',
    loss: LOSSES[0],
    optimizer: 'rmsprop',
    samples: 24,
    batchSize: 8,
  },
  { name: 'batchesDenseAdam', kind: 'trainOnBatch', loss: LOSSES[1], optimizer: 'adam', samples: 16, batchSize: 8 },
];
export const SCRIPT_COUNT = SCRIPTS.length;

const sameArrays = (a, b) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
export const sameWeights = (a, b) => a.length === b.length && a.every((w, i) => sameArrays(w, b[i]));

/** Runs promise-returning tasks one after another (the private reference models are shared by the checks). */
class SerialQueue {
  tail = Promise.resolve();
  run(task) {
    const result = this.tail.then(task);
    this.tail = result.catch(() => {});
    return result;
  }
}

/** One architecture's data, weight table and serial references. */
export class Architecture {
  constructor(name, seed) {
    const spec = ARCHITECTURES[name];
    this.name = name;
    this.spec = spec;
    this.inputShape = spec.inputShape;
    this.imageSize = spec.inputShape.reduce((a, b) => a * b);
    this.classes = spec.classes;
    const random = rng(deriveSeed(seed, `${name} data`));
    const n = spec.poolSize;
    this.x = ck.tensor(Float32Array.from({ length: n * this.imageSize }, random), [n, ...spec.inputShape]);
    this.labels = Int32Array.from({ length: n }, (_, i) => (i * 7 + 3) % spec.classes);
    this.oneHot = ck.tensor(
      Float32Array.from({ length: n * spec.classes }, (_, j) =>
        this.labels[Math.floor(j / spec.classes)] === j % spec.classes ? 1 : 0,
      ),
      [n, spec.classes],
    );
    /** State key -> weights (Float32Array[]): the table's sets and every replayed training step. */
    this.states = new Map();
    for (let k = 0; k < WEIGHT_SETS; k++) {
      const model = this.makeModel(deriveSeed(seed, `${name} weights ${k}`));
      this.states.set(
        `w${k}`,
        model.getWeights().map((w) => w.data),
      );
      model.dispose();
    }
    this.reference = this.makeModel(1);
    this.referenceKey = null;
    this.rows = new Map();
    this.replays = new Map();
    this.evaluations = new Map();
    this.evaluator = this.makeModel(1);
    this.evaluatorQueue = new SerialQueue();
  }

  makeModel(seed) {
    return ck.sequential({ seed, layers: this.spec.layers() });
  }

  tensors(key) {
    return this.states.get(key).map((data, i) => ck.tensor(data, this.reference.weightSpecs()[i].shape));
  }

  targets(loss, start, end) {
    return loss === LOSSES[0] ? this.labels.subarray(start, end) : this.oneHot.slice(start, end);
  }

  /**
   * The serial output of image i under a state: predictSync of that image alone on a private model.
   * An image's output row does not depend on the other images of its batch (bit for bit, for these
   * architectures), so these rows are the reference for any batching.
   */
  row(key, i) {
    const id = `${key}#${i}`;
    let row = this.rows.get(id);
    if (!row) {
      if (this.referenceKey !== key) {
        this.reference.setWeights(this.tensors(key));
        this.referenceKey = key;
      }
      row = this.reference.predictSync(this.x.slice(i, i + 1)).data;
      this.rows.set(id, row);
    }
    return row;
  }

  /** The serial evaluate of rows [start, end) (one batch) under a state and loss. */
  evaluation(key, loss, start, end) {
    const id = `${key}|${loss}|${start}|${end}`;
    if (!this.evaluations.has(id)) {
      this.evaluations.set(
        id,
        this.evaluatorQueue.run(async () => {
          this.evaluator.setWeights(this.tensors(key));
          this.evaluator.compile({ optimizer: 'sgd', loss, metrics: ['accuracy'] });
          return this.evaluator.evaluate(this.x.slice(start, end), this.targets(loss, start, end), {
            batchSize: end - start,
          });
        }),
      );
    }
    return this.evaluations.get(id);
  }

  script(index) {
    return SCRIPTS[index];
  }

  /** Runs a script's training steps on `model`, calling hooks around each step. */
  async train(model, script, hooks = {}) {
    const y = this.targets(script.loss, 0, script.samples);
    const x = this.x.slice(0, script.samples);
    if (script.kind === 'fit') {
      return model.fit(x, y, {
        epochs: 1,
        batchSize: script.batchSize,
        seed: script.fitSeed,
        verbose: 0,
        callbacks: {
          onBatchBegin: (batch) => hooks.beforeStep?.(batch),
          onBatchEnd: (batch) => hooks.afterStep?.(batch),
        },
        ...hooks.fitOptions,
      });
    }
    for (let start = 0, step = 0; start < script.samples; start += script.batchSize, step++) {
      await hooks.beforeStep?.(step);
      const end = Math.min(start + script.batchSize, script.samples);
      const pending = model.trainOnBatch(x.slice(start, end), y.slice(start, end));
      hooks.whileStepRuns?.(step);
      await pending;
      await hooks.afterStep?.(step);
    }
    return null;
  }

  /** State keys after each step of a script started from weight set k, from a serial run (memoized). */
  replay(k, scriptIndex) {
    const id = `w${k}:${scriptIndex}`;
    if (!this.replays.has(id)) {
      this.replays.set(
        id,
        this.evaluatorQueue.run(async () => {
          const script = SCRIPTS[scriptIndex];
          const model = this.makeModel(1);
          model.setWeights(this.tensors(`w${k}`));
          model.compile({ optimizer: script.optimizer, loss: script.loss });
          const keys = [];
          await this.train(model, script, {
            afterStep: (step) => {
              const key = `${id}/${step + 1}`;
              this.states.set(
                key,
                model.getWeights().map((w) => w.data),
              );
              keys.push(key);
            },
          });
          model.dispose();
          return keys;
        }),
      );
    }
    return this.replays.get(id);
  }

  /** The state (of `keys`) whose weights equal these, or null. */
  matchWeights(keys, weights) {
    const data = weights.map((w) => w.data);
    return keys.find((key) => sameWeights(this.states.get(key), data)) ?? null;
  }

  /**
   * Checks predicted rows [start, start + n) made in native batches of batchSize: each batch must
   * equal, bit for bit, the serial outputs under one state of `keys`. Returns a problem or null.
   */
  checkRows(keys, start, output, batchSize) {
    const size = this.classes;
    const n = output.length / size;
    for (let chunk = 0; chunk < n; chunk += batchSize) {
      const end = Math.min(chunk + batchSize, n);
      const matches = (key) => {
        for (let i = chunk; i < end; i++) {
          const expected = this.row(key, start + i);
          for (let j = 0; j < size; j++) if (!Object.is(output[i * size + j], expected[j])) return false;
        }
        return true;
      };
      if (!keys.some(matches)) {
        return `rows ${start + chunk}..${start + end - 1} match no serial prediction under the weights in effect (${keys.join(', ')})`;
      }
    }
    return null;
  }
}

/**
 * A shared model and what its weights may be: `timeline` lists the states it has entered or may be
 * entering (a training step announced but not known finished), `committed` the first one that may
 * still be in effect. A call may see any state from `committed` at its start to the end of the
 * timeline at its end. Also counts the calls under way, from call to settlement, as seen here (a
 * superset of what the library sees as running).
 */
export class Slot {
  constructor(name, architecture, model) {
    this.name = name;
    this.architecture = architecture;
    this.model = model;
    this.timeline = [];
    this.committed = 0;
    this.loss = null;
    this.training = false;
    this.evaluating = 0;
    this.asyncCalls = 0;
    this.disposed = false;
    this.predictor = null;
    /** Steps of the running training script done, and how many were done when dispose() was called. */
    this.stepsDone = 0;
    this.stepsDoneAtDispose = null;
  }
  enter(key) {
    this.timeline.push(key);
    this.committed = this.timeline.length - 1;
  }
  announce(key) {
    this.timeline.push(key);
  }
  commit() {
    this.committed = this.timeline.length - 1;
  }
  /** At a call's start: a function that, at its end, gives the states the call may have seen. */
  window() {
    const from = this.committed;
    return () => this.timeline.slice(from);
  }
  /** Runs an async call on the model, counting it as under way until it settles. */
  async track(call, counter = 'asyncCalls') {
    this[counter] += 1;
    try {
      return await call();
    } finally {
      this[counter] -= 1;
    }
  }
}

/** Counts operations, documented errors by kind, and contract violations; lists what is in flight. */
export class Recorder {
  constructor(source, onViolation) {
    this.source = source;
    this.onViolation = onViolation;
    this.ops = {};
    this.errors = {};
    this.violations = {};
    this.examples = [];
    this.completed = 0;
    this.inFlight = new Map();
    this.nextId = 0;
  }

  /** Runs one operation; an exception escaping it is itself a violation. */
  async op(kind, detail, body) {
    const id = this.nextId++;
    this.inFlight.set(id, { label: `${kind} ${detail}`, started: Date.now() });
    try {
      await body();
    } catch (error) {
      this.violation(kind, `unexpected ${describeError(error)} (${detail})`);
    } finally {
      this.inFlight.delete(id);
      this.ops[kind] = (this.ops[kind] ?? 0) + 1;
      this.completed += 1;
    }
  }

  /** Records a documented error when `error` matches one of `allowed` ([name, ...patterns]); a violation otherwise. */
  expectError(kind, error, allowed, detail = '') {
    const match = allowed.find(([name, ...patterns]) => errorIs(error, name, ...patterns));
    if (match) {
      const label = `${kind}: ${match[0]} ${match.slice(1).map(String).join(' ')}`;
      this.errors[label] = (this.errors[label] ?? 0) + 1;
    } else {
      this.violation(kind, `undocumented error ${describeError(error)}${detail ? ` (${detail})` : ''}`);
    }
  }

  violation(kind, text) {
    const label = `${kind}: ${text.replace(/\d+(\.\d+)?/g, 'N').slice(0, 160)}`;
    this.violations[label] = (this.violations[label] ?? 0) + 1;
    const line = `[${this.source}] ${kind}: ${text}`;
    if (this.examples.length < 30) this.examples.push(line);
    this.onViolation?.(line);
  }

  snapshot() {
    const now = Date.now();
    return {
      completed: this.completed,
      ops: this.ops,
      errors: this.errors,
      violations: this.violations,
      examples: this.examples,
      inFlight: [...this.inFlight.values()].map(
        ({ label, started }) => `${label} (${((now - started) / 1000).toFixed(1)} s)`,
      ),
    };
  }
}

export function errorIs(error, name, ...patterns) {
  if (!(error instanceof Error) || error.name !== name) return false;
  if (name === 'PredictorError') {
    const [code, causePattern] = patterns;
    return (
      error.code === code &&
      (!causePattern || (error.cause instanceof RangeError && causePattern.test(error.cause.message)))
    );
  }
  return patterns.every((pattern) => pattern.test(error.message));
}

export function describeError(error) {
  if (!(error instanceof Error)) return `non-Error ${String(error)}`;
  const cause = error.cause instanceof Error ? ` [cause ${error.cause.name}: ${error.cause.message}]` : '';
  const code = error.code ? ` ${error.code}` : '';
  return `${error.name}${code}: ${error.message}${cause}`;
}
