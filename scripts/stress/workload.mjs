// One thread's share of the stress test (the main thread's and each worker's): async contexts that
// call shared models at random (seeded) and check every outcome against the concurrency contract:
// - a trainer runs training scripts (seeded fit, trainOnBatch runs) on the "trainee" models and
//   probes, while a step runs, that a second fit/trainOnBatch and compile are refused;
// - a disposer builds throwaway models, starts calls on them and disposes them part-way;
// - readers predict, evaluate, read and save every model, and set weights (from the weight table)
//   and recompile the "fixed" models, which are never trained.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Architecture,
  ARCHITECTURE_NAMES,
  Chooser,
  ck,
  deriveSeed,
  errorIs,
  LOSSES,
  SCRIPT_COUNT,
  Slot,
} from './world.mjs';

/** Every loop's bound on iterations, besides the deadline. */
const MAX_ITERATIONS = 1_000_000;
/** Attempts at a setWeights or compile that the calls under way may refuse (busy / compile during evaluate). */
const MAX_RETRIES = 2000;
const METRICS = ['accuracy'];

const READER_OPS = {
  predict: 6,
  predictLarge: 2,
  predictSync: 4,
  evaluate: 3,
  getWeights: 2,
  readWeights: 1,
  save: 1,
  activations: 1,
  exportOnnx: 1,
  predictor: 3,
  renewPredictor: 0.3,
  setWeights: 2,
  compile: 1,
  invalid: 0.5,
};
/** Ops that change a model or its predictor: run on the fixed models only. */
const WRITER_OPS = new Set(['setWeights', 'compile', 'predictor', 'renewPredictor', 'invalid']);

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** Waits a random few turns of the event loop or milliseconds, to vary where a call lands. */
async function jitter(chooser, maxMs = 5) {
  if (chooser.chance(0.5)) {
    for (let i = chooser.int(4); i > 0; i--) await nextTurn();
  } else {
    await sleep(chooser.int(maxMs + 1));
  }
}

export class Workload {
  /** { seed, label, deadline, readers, tmpDir, recorder }: every thread saves into tmpDir, under names starting with its label. */
  constructor(options) {
    Object.assign(this, options);
    this.rec = options.recorder;
    this.architectures = Object.fromEntries(
      ARCHITECTURE_NAMES.map((name) => [name, new Architecture(name, options.seed)]),
    );
    this.fixed = {};
    this.trainees = {};
    this.saveCount = 0;
    for (const [name, architecture] of Object.entries(this.architectures)) {
      this.fixed[name] = this.newSlot(`fixed-${name}`, architecture, 0);
      this.trainees[name] = this.newSlot(`trainee-${name}`, architecture, 0);
    }
    for (const slot of Object.values(this.fixed))
      slot.predictor = this.newPredictor(slot, new Chooser(deriveSeed(this.seed, slot.name)));
  }

  newSlot(name, architecture, k) {
    const slot = new Slot(name, architecture, architecture.makeModel(1));
    slot.model.setWeights(architecture.tensors(`w${k}`));
    slot.enter(`w${k}`);
    slot.model.compile({ optimizer: 'sgd', loss: LOSSES[0], metrics: METRICS });
    slot.loss = LOSSES[0];
    return slot;
  }

  newPredictor(slot, chooser) {
    const maxBatchSize = chooser.pick([4, 16]);
    return ck.createPredictor(slot.model, {
      maxBatchSize,
      maxQueue: chooser.pick([2 * maxBatchSize, 64]),
      maxInFlight: chooser.pick([1, 2]),
    });
  }

  get running() {
    return Date.now() < this.deadline;
  }

  context(name) {
    return new Chooser(deriveSeed(this.seed, `${this.label} ${name}`));
  }

  async run() {
    const readers = Array.from({ length: this.readers }, (_, i) => this.reader(this.context(`reader ${i}`)));
    await Promise.all([this.trainer(this.context('trainer')), this.disposer(this.context('disposer')), ...readers]);
    await Promise.all(Object.values(this.fixed).map((slot) => slot.predictor.close()));
  }

  async reader(chooser) {
    const slots = [...Object.values(this.fixed), ...Object.values(this.trainees)];
    for (let i = 0; i < MAX_ITERATIONS && this.running; i++) {
      const op = chooser.weighted(READER_OPS);
      let slot = chooser.pick(slots);
      if (WRITER_OPS.has(op)) slot = this.fixed[slot.architecture.name];
      await this.readerOp(op, slot, chooser);
      if (chooser.chance(0.3)) await jitter(chooser);
    }
  }

  readerOp(op, slot, chooser) {
    switch (op) {
      case 'predict':
        return this.predict(slot, chooser, false);
      case 'predictLarge':
        return this.predict(slot, chooser, true);
      case 'predictSync':
        return this.predictSync(slot, chooser);
      case 'evaluate':
        return this.evaluate(slot, chooser);
      case 'getWeights':
        return this.getWeights(slot);
      case 'readWeights':
        return this.readWeights(slot);
      case 'save':
        return this.save(slot, chooser);
      case 'activations':
        return this.activations(slot, chooser);
      case 'exportOnnx':
        return this.exportOnnx(slot);
      case 'predictor':
        return this.predictorBurst(slot, chooser);
      case 'renewPredictor':
        return this.renewPredictor(slot, chooser);
      case 'setWeights':
        return this.setWeights(slot, chooser);
      case 'compile':
        return this.compile(slot, chooser);
      default:
        return this.invalid(slot, chooser);
    }
  }

  /** Rows [start, start + n) of the slot's data, n in [1, max]. */
  pickRows(slot, chooser, max) {
    const pool = slot.architecture.spec.poolSize;
    const n = 1 + chooser.int(Math.min(max, pool));
    return { start: chooser.int(pool - n + 1), n };
  }

  /**
   * Runs an async call made on `slot`: a call made after dispose must reject with /disposed/; one
   * made before it must succeed unless `mayFailDisposed` (then /disposed/ is allowed once disposed).
   * Resolves with the call's result, or undefined when it failed.
   */
  async settle(kind, slot, call, { mayFailDisposed = false, counter } = {}) {
    const disposedBefore = slot.disposed;
    try {
      const result = await slot.track(call, counter);
      if (disposedBefore) this.rec.violation(kind, `succeeded on ${slot.name} after dispose()`);
      return disposedBefore ? undefined : result;
    } catch (error) {
      const allowed = disposedBefore || (mayFailDisposed && slot.disposed) ? [['RangeError', /disposed/]] : [];
      this.rec.expectError(kind, error, allowed, slot.name);
      return undefined;
    }
  }

  predict(slot, chooser, large) {
    const architecture = slot.architecture;
    const { start, n } = large ? { start: 0, n: architecture.spec.poolSize } : this.pickRows(slot, chooser, 32);
    const batchSize = large
      ? chooser.pick(architecture.spec.largeBatchSizes)
      : chooser.chance(0.7)
        ? 32
        : 1 + chooser.int(n);
    const inline = chooser.pick([undefined, false]);
    const kind = large ? 'predictLarge' : 'predict';
    return this.rec.op(kind, `${slot.name} rows ${start}+${n} batchSize ${batchSize} inline ${inline}`, async () => {
      const seen = slot.window();
      const output = await this.settle(kind, slot, () =>
        slot.model.predict(architecture.x.slice(start, start + n), { batchSize, inline }),
      );
      const problem = output && architecture.checkRows(seen(), start, output.data, batchSize);
      if (problem) this.rec.violation(kind, `${slot.name} batchSize ${batchSize}: ${problem}`);
    });
  }

  /** A synchronous call that may throw /busy/ while a training step runs, and /disposed/ after dispose. */
  syncCall(kind, slot, call, { busyAllowed }) {
    try {
      const result = call();
      if (slot.disposed) this.rec.violation(kind, `succeeded on ${slot.name} after dispose()`);
      return slot.disposed ? undefined : result;
    } catch (error) {
      const allowed = slot.disposed ? [['RangeError', /disposed/]] : busyAllowed ? [['RangeError', /busy/]] : [];
      this.rec.expectError(kind, error, allowed, slot.name);
      return undefined;
    }
  }

  predictSync(slot, chooser) {
    const architecture = slot.architecture;
    const { start, n } = this.pickRows(slot, chooser, 8);
    return this.rec.op('predictSync', `${slot.name} rows ${start}+${n}`, async () => {
      const seen = slot.window();
      const output = this.syncCall(
        'predictSync',
        slot,
        () => slot.model.predictSync(architecture.x.slice(start, start + n)),
        { busyAllowed: slot.training },
      );
      const problem = output && architecture.checkRows(seen(), start, output.data, n);
      if (problem) this.rec.violation('predictSync', `${slot.name}: ${problem}`);
    });
  }

  evaluate(slot, chooser) {
    const architecture = slot.architecture;
    const { start, n } = this.pickRows(slot, chooser, 32);
    const probeCompile = chooser.chance(0.3);
    return this.rec.op('evaluate', `${slot.name} rows ${start}+${n}`, async () => {
      const seen = slot.window();
      const loss = slot.loss;
      const pending = this.settle(
        'evaluate',
        slot,
        () => slot.model.evaluate(architecture.x.slice(start, start + n), architecture.targets(loss, start, start + n)),
        { mayFailDisposed: true, counter: 'evaluating' },
      );
      if (probeCompile && !slot.disposed) this.compileMustFail('compile during evaluate', slot, loss);
      const result = await pending;
      if (!result) return;
      const keys = seen();
      const references = await Promise.all(keys.map((key) => architecture.evaluation(key, loss, start, start + n)));
      if (!references.some((ref) => Object.is(ref.loss, result.loss) && Object.is(ref.accuracy, result.accuracy))) {
        this.rec.violation(
          'evaluate',
          `${slot.name} rows ${start}+${n}: ${JSON.stringify(result)} equals no serial evaluate under ${keys.join(', ')} ` +
            `(${references.map((ref) => ref.loss).join(', ')})`,
        );
      }
    });
  }

  /** compile while fit, trainOnBatch or evaluate is under way must throw RangeError /compile/ /await/. */
  compileMustFail(kind, slot, loss) {
    try {
      slot.model.compile({ optimizer: 'sgd', loss, metrics: METRICS });
      this.rec.violation(kind, `compile succeeded on ${slot.name}`);
    } catch (error) {
      this.rec.expectError(kind, error, [['RangeError', /compile/, /await/]], slot.name);
    }
  }

  getWeights(slot) {
    return this.rec.op('getWeights', slot.name, async () => {
      const seen = slot.window();
      const weights = this.syncCall('getWeights', slot, () => slot.model.getWeights(), { busyAllowed: slot.training });
      if (weights && !slot.architecture.matchWeights(seen(), weights)) {
        this.rec.violation('getWeights', `${slot.name}: the weights equal none of ${seen().join(', ')}`);
      }
    });
  }

  /** readWeights waits for a running training step: it never fails (but after dispose). */
  readWeights(slot) {
    return this.rec.op('readWeights', slot.name, async () => {
      const seen = slot.window();
      const weights = await this.settle('readWeights', slot, () => slot.model.readWeights());
      if (weights && !slot.architecture.matchWeights(seen(), weights)) {
        this.rec.violation('readWeights', `${slot.name}: the weights equal none of ${seen().join(', ')}`);
      }
    });
  }

  /** save (convkit or tfjs format), then loadModel: the weights must be one state the model was in during the save. */
  save(slot, chooser) {
    const format = chooser.pick(['convkit', 'tfjs']);
    const dir = join(this.tmpDir, `${this.label}-${slot.name}-${this.saveCount++}`);
    return this.rec.op('save', `${slot.name} ${format}`, async () => {
      const seen = slot.window();
      const saved = await this.settle('save', slot, () => slot.model.save(dir, { format }).then(() => true), {
        mayFailDisposed: true,
      });
      if (saved) {
        const loaded = await ck.loadModel(dir);
        if (!slot.architecture.matchWeights(seen(), loaded.getWeights())) {
          this.rec.violation('save', `${slot.name} ${format}: the saved weights equal none of ${seen().join(', ')}`);
        }
        loaded.dispose();
      }
      await rm(dir, { recursive: true, force: true });
    });
  }

  activations(slot, chooser) {
    const architecture = slot.architecture;
    const { start, n } = this.pickRows(slot, chooser, 32);
    const last = slot.model.layers[slot.model.layers.length - 1].name;
    return this.rec.op('activations', `${slot.name} rows ${start}+${n}`, async () => {
      const seen = slot.window();
      const outputs = await this.settle('activations', slot, () =>
        slot.model.activations(architecture.x.slice(start, start + n), { layers: [last] }),
      );
      const problem = outputs && architecture.checkRows(seen(), start, outputs.get(last).data, 32);
      if (problem) this.rec.violation('activations', `${slot.name}: ${problem}`);
    });
  }

  exportOnnx(slot) {
    const path = join(this.tmpDir, `${this.label}-${slot.name}-${this.saveCount++}.onnx`);
    return this.rec.op('exportOnnx', slot.name, async () => {
      await this.settle('exportOnnx', slot, () => slot.model.exportOnnx(path), { mayFailDisposed: true });
      await rm(path, { force: true });
    });
  }

  /** Single-image requests sent at once to the slot's predictor: each output must be the image's serial one. */
  predictorBurst(slot, chooser) {
    const architecture = slot.architecture;
    const images = Array.from({ length: 1 + chooser.int(24) }, () => chooser.int(architecture.spec.poolSize));
    return this.rec.op('predictor', `${slot.name} ${images.length} requests`, async () => {
      const predictor = slot.predictor;
      const seen = slot.window();
      await Promise.all(
        images.map(async (i) => {
          try {
            const output = await slot.track(() => predictor.predict(architecture.x.slice(i, i + 1)));
            if (!architecture.checkRows(seen(), i, output.data, 1)) return;
            this.rec.violation(
              'predictor',
              `${slot.name} image ${i}: equals no serial prediction under ${seen().join(', ')}`,
            );
          } catch (error) {
            const allowed = [['PredictorError', 'QUEUE_FULL']];
            if (predictor.closed) allowed.push(['PredictorError', 'CLOSED']);
            if (slot.disposed) allowed.push(['PredictorError', 'BATCH_FAILED', /disposed/]);
            this.rec.expectError('predictor', error, allowed, slot.name);
          }
        }),
      );
    });
  }

  renewPredictor(slot, chooser) {
    return this.rec.op('renewPredictor', slot.name, async () => {
      const old = slot.predictor;
      slot.predictor = this.newPredictor(slot, chooser);
      const closing = old.close();
      try {
        await old.predict(slot.architecture.x.slice(0, 1));
        this.rec.violation('predict after close', `a closed predictor of ${slot.name} answered`);
      } catch (error) {
        this.rec.expectError('predict after close', error, [['PredictorError', 'CLOSED']], slot.name);
      }
      await closing;
    });
  }

  /** setWeights from the table: it may be refused as busy only while a call of ours is under way on the model. */
  setWeights(slot, chooser) {
    const k = chooser.int(3);
    return this.rec.op('setWeights', `${slot.name} w${k}`, async () => {
      const busyAllowed = slot.asyncCalls > 0 || slot.evaluating > 0;
      try {
        slot.model.setWeights(slot.architecture.tensors(`w${k}`));
        slot.enter(`w${k}`);
      } catch (error) {
        this.rec.expectError('setWeights', error, busyAllowed ? [['RangeError', /busy/]] : [], slot.name);
      }
    });
  }

  /** compile switching loss and optimizer: refused only while an evaluate of ours may be under way. */
  compile(slot, chooser) {
    const loss = chooser.pick(LOSSES);
    const optimizer = chooser.pick(['sgd', 'adam']);
    return this.rec.op('compile', `${slot.name} ${loss} ${optimizer}`, async () => {
      const refusable = slot.evaluating > 0;
      try {
        slot.model.compile({ optimizer, loss, metrics: METRICS });
        slot.loss = loss;
      } catch (error) {
        this.rec.expectError('compile', error, refusable ? [['RangeError', /compile/, /await/]] : [], slot.name);
      }
    });
  }

  /** Calls that are wrong on purpose: each must throw (or reject with) a TypeError or RangeError. */
  invalid(slot, chooser) {
    const other = Object.values(this.architectures).find((a) => a !== slot.architecture);
    const calls = {
      predictWrongShape: () => slot.model.predict(other.x.slice(0, 2)),
      predictSyncWrongShape: () => slot.model.predictSync(other.x.slice(0, 1)),
      setWeightsTooFew: () => slot.model.setWeights(slot.model.getWeights().slice(1)),
      evaluateWrongTargets: () => slot.model.evaluate(slot.architecture.x.slice(0, 4), new Int32Array(3)),
      predictorNaN: () => slot.predictor.predict(new Float32Array(slot.architecture.imageSize).fill(NaN)),
      predictNotATensor: () => slot.model.predict([1, 2, 3]),
    };
    const name = chooser.pick(Object.keys(calls));
    return this.rec.op('invalid', `${slot.name} ${name}`, async () => {
      try {
        await calls[name]();
        this.rec.violation('invalid', `${name} on ${slot.name} did not fail`);
      } catch (error) {
        // setWeightsTooFew reads the weights first: /busy/ is allowed there while training, never here.
        this.rec.expectError('invalid', error, [['TypeError'], ['RangeError']], name);
      }
    });
  }

  /** Retries a call a busy model may refuse (allowed while `refusable()`), a bounded number of times. */
  async retry(kind, slot, call, refusable, patterns) {
    for (let attempt = 0; attempt < MAX_RETRIES && this.running; attempt++) {
      const mayRefuse = refusable();
      try {
        call();
        return true;
      } catch (error) {
        if (!mayRefuse || !errorIs(error, 'RangeError', ...patterns)) {
          this.rec.expectError(kind, error, [], slot.name);
          return false;
        }
        this.rec.expectError(kind, error, [['RangeError', ...patterns]]);
        await sleep(1);
      }
    }
    return false;
  }

  /**
   * Training episodes on the trainees: weights from the table, a script, probes while it runs; the
   * final weights must equal the serial replay's bit for bit.
   */
  async trainer(chooser) {
    for (let i = 0; i < MAX_ITERATIONS && this.running; i++) {
      const slot = this.trainees[chooser.pick(ARCHITECTURE_NAMES)];
      const k = chooser.int(3);
      const scriptIndex = chooser.int(SCRIPT_COUNT);
      const probeStep = chooser.int(4);
      const probes = {
        compile: chooser.chance(0.5),
        train: chooser.chance(0.5),
        setWeights: chooser.chance(0.5),
        atStart: chooser.chance(0.5),
        settle: chooser.int(3),
      };
      await this.rec.op('trainEpisode', `${slot.name} w${k} script ${scriptIndex}`, () =>
        this.trainEpisode(slot, k, scriptIndex, probeStep, probes),
      );
      await jitter(chooser, 20);
    }
  }

  async trainEpisode(slot, k, scriptIndex, probeStep, probes) {
    const architecture = slot.architecture;
    const script = architecture.script(scriptIndex);
    const keys = await architecture.replay(k, scriptIndex);
    const reset = await this.retry(
      'setWeights before training',
      slot,
      () => slot.model.setWeights(architecture.tensors(`w${k}`)),
      () => slot.asyncCalls > 0 || slot.evaluating > 0,
      [/busy/],
    );
    if (!reset) return;
    slot.enter(`w${k}`);
    const compiled = await this.retry(
      'compile before training',
      slot,
      () => slot.model.compile({ optimizer: script.optimizer, loss: script.loss, metrics: METRICS }),
      () => slot.evaluating > 0,
      [/compile/, /await/],
    );
    if (!compiled) return;
    slot.loss = script.loss;
    const pendingProbes = [];
    const probe = () => {
      if (probes.compile) this.compileMustFail('compile during training', slot, script.loss);
      if (probes.train) pendingProbes.push(this.secondTrainingMustFail(slot, script));
    };
    slot.training = true;
    try {
      const training = slot.track(() =>
        architecture.train(slot.model, script, {
          // fit is under way in its callbacks; trainOnBatch only between its call and its settling.
          beforeStep: (step) => {
            slot.announce(keys[step]);
            if (script.kind === 'fit' && step === probeStep && probes.atStart) probe();
          },
          whileStepRuns: (step) => step === probeStep && probe(),
          afterStep: async (step) => {
            slot.commit();
            if (script.kind !== 'fit' || step !== probeStep || probes.atStart) return;
            for (let i = probes.settle; i > 0; i--) await nextTurn();
            probe();
            if (probes.setWeights) this.setWeightsBetweenSteps(slot, keys[step]);
          },
        }),
      );
      if (script.kind === 'fit') probe();
      await training;
    } catch (error) {
      this.rec.expectError('training', error, [], `${slot.name} script ${script.name}`);
    } finally {
      slot.training = false;
      slot.commit();
    }
    await Promise.all(pendingProbes);
    const weights = this.syncCall('getWeights after training', slot, () => slot.model.getWeights(), {
      busyAllowed: false,
    });
    if (weights && !architecture.matchWeights([keys[keys.length - 1]], weights)) {
      const step = architecture.matchWeights(keys, weights);
      this.rec.violation(
        'training',
        `${slot.name} ${script.name} from w${k}: final weights differ from the serial replay's` +
          (step ? ` (they equal its state ${step})` : ''),
      );
    }
  }

  /**
   * setWeights in a fit callback, between two steps, must succeed unless inference computes (our
   * own calls under way besides the fit): it sets the weights the model holds, so the fit goes on
   * as the replay did.
   */
  setWeightsBetweenSteps(slot, key) {
    const busyAllowed = slot.asyncCalls > 1 || slot.evaluating > 0;
    try {
      slot.model.setWeights(slot.architecture.tensors(key));
      this.rec.ops['setWeights between steps'] = (this.rec.ops['setWeights between steps'] ?? 0) + 1;
    } catch (error) {
      this.rec.expectError('setWeights between steps', error, busyAllowed ? [['RangeError', /busy/]] : [], slot.name);
    }
  }

  /** A fit or trainOnBatch while one runs must reject with RangeError /already training/. */
  async secondTrainingMustFail(slot, script) {
    const architecture = slot.architecture;
    const x = architecture.x.slice(0, 4);
    const y = architecture.targets(script.loss, 0, 4);
    for (const [kind, call] of [
      ['fit during training', () => slot.model.fit(x, y, { verbose: 0 })],
      ['trainOnBatch during training', () => slot.model.trainOnBatch(x, y)],
    ]) {
      try {
        await call();
        this.rec.violation(kind, `succeeded on ${slot.name}`);
      } catch (error) {
        this.rec.expectError(kind, error, [['RangeError', /already training/]], slot.name);
      }
    }
  }

  /**
   * Throwaway models: calls started, then dispose() part-way. Calls made before it finish
   * normally (a fit may instead reject with /disposed/), calls made after it are refused.
   */
  async disposer(chooser) {
    for (let i = 0; i < MAX_ITERATIONS && this.running; i++) {
      const architecture = this.architectures[chooser.chance(0.75) ? 'tiny' : 'winograd'];
      const k = chooser.int(3);
      const scriptIndex = chooser.int(SCRIPT_COUNT);
      const withFit = chooser.chance(0.5);
      await this.rec.op('disposeEpisode', `${architecture.name} w${k}`, async () => {
        const keys = await architecture.replay(k, scriptIndex);
        const slot = this.newSlot(`disposable-${architecture.name}`, architecture, k);
        slot.predictor = this.newPredictor(slot, chooser);
        // The fit first: it compiles, which an evaluate under way would refuse.
        const started = withFit ? [this.disposableFit(slot, scriptIndex, keys)] : [];
        started.push(
          this.predict(slot, chooser, true),
          this.predict(slot, chooser, false),
          this.evaluate(slot, chooser),
          this.predictorBurst(slot, chooser),
        );
        await jitter(chooser, 30);
        slot.model.dispose();
        slot.disposed = true;
        slot.stepsDoneAtDispose = slot.stepsDone;
        slot.model.dispose();
        this.refusedAfterDispose(slot);
        started.push(this.predict(slot, chooser, false), this.save(slot, chooser), this.predictorBurst(slot, chooser));
        await Promise.all(started);
        await slot.predictor.close();
      });
    }
  }

  disposableFit(slot, scriptIndex, keys) {
    const script = slot.architecture.script(scriptIndex);
    return this.rec.op('fitThenDispose', slot.name, async () => {
      slot.model.compile({ optimizer: script.optimizer, loss: script.loss, metrics: METRICS });
      slot.loss = script.loss;
      slot.training = true;
      const finished = await this.settle(
        'fitThenDispose',
        slot,
        () =>
          slot.architecture
            .train(slot.model, script, {
              beforeStep: (step) => slot.announce(keys[step]),
              afterStep: (step) => {
                slot.stepsDone = step + 1;
                slot.commit();
              },
            })
            .then(() => true),
        { mayFailDisposed: true },
      );
      slot.training = false;
      // A step that starts after dispose() must not run, so the run can only finish if its last
      // step had started (the one before it done) by then.
      if (finished && slot.stepsDoneAtDispose !== null && slot.stepsDoneAtDispose < keys.length - 1) {
        this.rec.violation(
          'fitThenDispose',
          `${script.name} on ${slot.name} finished though disposed after ${slot.stepsDoneAtDispose} of ${keys.length} steps`,
        );
      }
    });
  }

  /** Synchronous calls on a disposed model must throw RangeError /disposed/. */
  refusedAfterDispose(slot) {
    const weights = slot.architecture.tensors('w0');
    const calls = {
      predictSync: () => slot.model.predictSync(slot.architecture.x.slice(0, 1)),
      getWeights: () => slot.model.getWeights(),
      setWeights: () => slot.model.setWeights(weights),
      compile: () => slot.model.compile({ optimizer: 'sgd', loss: LOSSES[0] }),
      createPredictor: () => ck.createPredictor(slot.model),
    };
    for (const [name, call] of Object.entries(calls)) {
      this.syncCall(`${name} after dispose`, slot, call, { busyAllowed: false });
      this.rec.ops[`${name} after dispose`] = (this.rec.ops[`${name} after dispose`] ?? 0) + 1;
    }
  }
}
