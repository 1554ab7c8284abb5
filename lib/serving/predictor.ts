// Dynamic batching for services, as Triton and TF Serving do it: single-image predict calls made
// concurrently (one per HTTP request, say) are gathered into one batched native call, which costs
// far less per image than one call each. A request waits at most maxDelayMs for others to join.
import { describe, finiteNumber, positiveInt } from '../errors';
import { Model } from '../engine/model';
import { shapeSize, Tensor, type Shape } from '../tensor';

/** Options of `ck.createPredictor`. */
export interface PredictorOptions {
  /** Most requests in one batched call, a positive integer (default 32: kerasMnist's images/s levels off from 16). */
  maxBatchSize?: number;
  /**
   * Longest a request waits for others to join its batch once a batch slot is free, in
   * milliseconds from its arrival; a batch also leaves as soon as it is full. The default, 0,
   * sends whatever is waiting the moment a slot frees: requests gather only while a batch
   * computes, so batches grow with the load and a lone request waits for nothing. A few
   * milliseconds give bigger batches under moderate load at that cost in latency.
   */
  maxDelayMs?: number;
  /**
   * Most requests waiting for a batch (those already computing not counted). Past it, predict
   * rejects with a PredictorError of code 'QUEUE_FULL' so a service can shed load (HTTP 503)
   * instead of letting latency grow without bound. Default 512, or 16 * maxBatchSize when that is
   * more; at least maxBatchSize.
   */
  maxQueue?: number;
  /**
   * Batches computed at once (default 1; a model runs at most 2 native calls at once). The
   * native thread pool serves one batch at a time (a second runs on its own thread meanwhile), so
   * a second batch in flight adds little compute; with one, the next batch leaves the moment
   * the previous one's outputs are back (before they are delivered), so the pool stays busy while
   * the event loop answers the callers.
   */
  maxInFlight?: number;
}

/** One image: a Tensor of the model's input shape (with or without a leading batch axis of 1), or its values. */
export type PredictorInput = Tensor | Float32Array;

/** Why a predictor turned a request away, or why its batch failed. */
export type PredictorErrorCode = 'QUEUE_FULL' | 'CLOSED' | 'BATCH_FAILED';

/**
 * Rejection of a request that was not at fault: the queue is full, the predictor is closed, or
 * the batched native call failed (`cause` holds that call's error). Invalid input is a TypeError
 * or RangeError instead.
 */
export class PredictorError extends Error {
  /** 'QUEUE_FULL', 'CLOSED' or 'BATCH_FAILED'. */
  readonly code: PredictorErrorCode;

  constructor(code: PredictorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PredictorError';
    this.code = code;
  }
}

/** A snapshot of a predictor's counters; counts are since createPredictor. */
export interface PredictorStats {
  /** Requests waiting for a batch. */
  queueDepth: number;
  /** Batches computing now. */
  inFlightBatches: number;
  /** Requests in the batches computing now. */
  inFlightRequests: number;
  /** Requests accepted into the queue. */
  requests: number;
  /** Accepted requests resolved with an output. */
  completed: number;
  /** Accepted requests rejected because their batch failed (PredictorError 'BATCH_FAILED'). */
  failed: number;
  /** Batched native calls made. */
  batches: number;
  /** batchSizes[k]: batches of exactly k requests (index 0 unused); length maxBatchSize + 1. */
  batchSizes: number[];
  /** Requests turned away: invalid input, queue full, predictor closed. */
  rejected: { invalid: number; queueFull: number; closed: number };
}

/**
 * Callers answered per turn of the event loop. Resolving a whole batch at once would run every
 * caller's continuation (an HTTP response each, in a server) in one go, stalling timers and I/O
 * for all of them; in chunks, the event loop gets a turn in between.
 */
const DELIVERY_CHUNK = 8;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

interface QueuedRequest {
  /** A private copy of the caller's values, validated. */
  input: Float32Array;
  /** performance.now() at arrival. */
  arrivedAt: number;
  resolve(output: Tensor): void;
  reject(error: unknown): void;
}

/** Gathers concurrent single-image predictions into batched native calls; see createPredictor. */
export class Predictor {
  /** The model it predicts with. */
  readonly model: Model;
  /** The options in force, defaults filled in. */
  readonly options: Readonly<Required<PredictorOptions>>;
  /** Per-image input shape, without the batch axis. */
  readonly inputShape: Shape;
  /** Per-image output shape, without the batch axis. */
  readonly outputShape: Shape;
  private readonly inputSize: number;
  private readonly outputSize: number;
  private readonly queue: QueuedRequest[] = [];
  private timer: NodeJS.Timeout | null = null;
  private closing: Promise<void> | null = null;
  private resolveClosed: (() => void) | null = null;
  private readonly counts: Omit<PredictorStats, 'queueDepth' | 'batchSizes' | 'rejected'> = {
    inFlightBatches: 0,
    inFlightRequests: 0,
    requests: 0,
    completed: 0,
    failed: 0,
    batches: 0,
  };
  private readonly batchSizes: number[];
  private readonly rejected = { invalid: 0, queueFull: 0, closed: 0 };
  /** Batches computing or still answering their callers. */
  private unfinishedBatches = 0;

  constructor(model: Model, options: PredictorOptions = {}) {
    if (!(model instanceof Model))
      throw new TypeError(
        `createPredictor: model must be a convkit model (ck.sequential, ck.model or ck.loadModel), got ${describe(model)}`,
      );
    if (options === null || typeof options !== 'object')
      throw new TypeError(`createPredictor: options must be an object, got ${describe(options)}`);
    const maxBatchSize = positiveInt(options.maxBatchSize ?? 32, 'maxBatchSize');
    const maxQueue = positiveInt(options.maxQueue ?? Math.max(512, 16 * maxBatchSize), 'maxQueue');
    if (maxQueue < maxBatchSize)
      throw new RangeError(
        `maxQueue (${maxQueue}) must be at least maxBatchSize (${maxBatchSize}), or no batch could fill`,
      );
    this.options = Object.freeze({
      maxBatchSize,
      maxDelayMs: finiteNumber(options.maxDelayMs ?? 0, 'maxDelayMs', 0, 60_000),
      maxQueue,
      maxInFlight: positiveInt(options.maxInFlight ?? 1, 'maxInFlight'),
    });
    this.model = model;
    this.inputShape = model.inputShape;
    this.outputShape = model.outputShape;
    this.inputSize = shapeSize(this.inputShape);
    this.outputSize = shapeSize(this.outputShape);
    this.batchSizes = new Array<number>(maxBatchSize + 1).fill(0);
  }

  /**
   * The model's output for one image, a Tensor of the model's output shape (no batch axis).
   * Rejects with a TypeError or RangeError when the input is not one finite image of the model's
   * input shape (only this caller: the others in its batch are unaffected), and with a
   * PredictorError when the queue is full, the predictor is closed, or the batch failed.
   */
  predict(input: PredictorInput): Promise<Tensor> {
    // Bad input is the caller's error whatever the load: checked before the queue's state, so a
    // malformed request gets its TypeError/RangeError (HTTP 400), not QUEUE_FULL (503) or CLOSED.
    let copy: Float32Array;
    try {
      copy = this.validatedCopy(input);
    } catch (error) {
      this.rejected.invalid += 1;
      return Promise.reject(error);
    }
    if (this.closing) {
      this.rejected.closed += 1;
      return Promise.reject(new PredictorError('CLOSED', 'predictor.predict: the predictor is closed'));
    }
    if (this.queue.length >= this.options.maxQueue) {
      this.rejected.queueFull += 1;
      return Promise.reject(
        new PredictorError(
          'QUEUE_FULL',
          `predictor.predict: ${this.queue.length} requests are already waiting (maxQueue ${this.options.maxQueue}); try again later`,
        ),
      );
    }
    this.counts.requests += 1;
    return new Promise<Tensor>((resolve, reject) => {
      this.queue.push({ input: copy, arrivedAt: performance.now(), resolve, reject });
      this.dispatch();
    });
  }

  /** Current queue depth, batches in flight, request and batch counts, batch-size histogram, rejections. */
  stats(): PredictorStats {
    return {
      queueDepth: this.queue.length,
      ...this.counts,
      batchSizes: [...this.batchSizes],
      rejected: { ...this.rejected },
    };
  }

  /** True once close() has been called. */
  get closed(): boolean {
    return this.closing !== null;
  }

  /**
   * Stops accepting requests (predict then rejects with code 'CLOSED'), sends those already
   * waiting without further delay, and resolves once every accepted request has settled.
   */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = new Promise((resolve) => {
        this.resolveClosed = resolve;
      });
      this.dispatch();
      this.settleIfClosed();
    }
    return this.closing;
  }

  private validatedCopy(input: unknown): Float32Array {
    const shape = this.inputShape;
    let data: Float32Array;
    if (input instanceof Tensor) {
      const dims = input.rank === shape.length + 1 && input.shape[0] === 1 ? input.shape.slice(1) : input.shape;
      if (dims.length !== shape.length || dims.some((d, i) => d !== shape[i])) {
        throw new RangeError(
          `predictor.predict: input must have shape [${shape.join(', ')}] or [1, ${shape.join(', ')}], got [${input.shape.join(', ')}]`,
        );
      }
      data = input.data;
    } else if (input instanceof Float32Array) {
      if (input.length !== this.inputSize) {
        throw new RangeError(
          `predictor.predict: input must have ${this.inputSize} values (shape [${shape.join(', ')}]), got ${input.length}`,
        );
      }
      data = input;
    } else {
      throw new TypeError(
        `predictor.predict: input must be a Tensor of shape [${shape.join(', ')}] or a Float32Array of ${this.inputSize} values, ` +
          `got ${describe(input)}`,
      );
    }
    const copy = data.slice();
    for (let i = 0; i < copy.length; i++) {
      if (!Number.isFinite(copy[i]))
        throw new RangeError(`predictor.predict: input[${i}] is ${copy[i]}; inputs must be finite numbers`);
    }
    return copy;
  }

  /**
   * Sends waiting requests while a batch slot is free and the oldest one is due: its batch is
   * full, it has waited maxDelayMs, or the predictor is closing. Otherwise waits for the oldest
   * one's deadline (a finishing batch calls this again).
   */
  private dispatch(): void {
    const { maxBatchSize, maxDelayMs, maxInFlight } = this.options;
    while (this.queue.length > 0 && this.counts.inFlightBatches < maxInFlight) {
      const waited = performance.now() - this.queue[0].arrivedAt;
      if (this.queue.length < maxBatchSize && waited < maxDelayMs && !this.closing) {
        this.timer ??= setTimeout(() => {
          this.timer = null;
          this.dispatch();
        }, maxDelayMs - waited);
        return;
      }
      void this.run(this.queue.splice(0, maxBatchSize));
    }
    if (this.queue.length === 0 && this.timer) {
      // Nothing left to wait for: a pending timer would only keep the process alive.
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  /** Resolves close()'s Promise once closing and nothing is waiting or computing. */
  private settleIfClosed(): void {
    if (this.closing && this.queue.length === 0 && this.unfinishedBatches === 0) this.resolveClosed?.();
  }

  /** One batched native call; settles every request of the batch. Never rejects. */
  private async run(batch: QueuedRequest[]): Promise<void> {
    const n = batch.length;
    this.unfinishedBatches += 1;
    this.counts.inFlightBatches += 1;
    this.counts.inFlightRequests += n;
    this.counts.batches += 1;
    this.batchSizes[n] += 1;
    let output: Tensor | null = null;
    let failure: unknown = null;
    try {
      const x = new Float32Array(n * this.inputSize);
      batch.forEach((request, i) => x.set(request.input, i * this.inputSize));
      // On a worker even for one image: the next requests gather while this batch computes.
      output = await this.model.predict(new Tensor(x, [n, ...this.inputShape]), { batchSize: n, inline: false });
    } catch (error) {
      failure = error;
    }
    // Start the next batch before answering this one's callers, so the native threads keep busy
    // while the event loop delivers.
    this.counts.inFlightBatches -= 1;
    this.counts.inFlightRequests -= n;
    this.dispatch();
    if (output) {
      const size = this.outputSize;
      for (let start = 0; start < n; start += DELIVERY_CHUNK) {
        if (start > 0) await nextTurn();
        // Each caller gets its own copy of its row, not a view sharing the batch's buffer.
        for (let i = start; i < Math.min(n, start + DELIVERY_CHUNK); i++) {
          batch[i].resolve(new Tensor(output.data.slice(i * size, (i + 1) * size), this.outputShape));
        }
      }
      this.counts.completed += n;
    } else {
      const reason = failure instanceof Error ? failure.message : String(failure);
      const error = new PredictorError('BATCH_FAILED', `predictor: the batch of ${n} requests failed: ${reason}`, {
        cause: failure,
      });
      for (const request of batch) request.reject(error);
      this.counts.failed += n;
    }
    this.unfinishedBatches -= 1;
    this.settleIfClosed();
  }
}

/**
 * A dynamic batcher over `model`: `predictor.predict(image)` resolves with that image's output,
 * computed in one native call together with the other requests that arrived meanwhile.
 *
 * The model must know its input shape (an inputShape on its first layer, or build() called): a
 * RangeError otherwise. Each caller gets its own output tensor.
 * @param model The model to serve; it may still be used directly meanwhile.
 * @param options Batch size, delay, queue length and concurrency (see PredictorOptions).
 * @throws {TypeError | RangeError} for a value that is not a convkit model or invalid options.
 * @example
 * ```ts
 * import * as ck from 'convkit';
 * const model = ck.models.kerasMnist();
 * const predictor = ck.createPredictor(model, { maxBatchSize: 32 });
 * // Concurrent requests (one per HTTP request, say) share batched native calls.
 * const images = Array.from({ length: 8 }, () => new Float32Array(28 * 28).fill(0.5));
 * const outputs = await Promise.all(images.map((image) => predictor.predict(image)));
 * console.log(outputs[0].shape, predictor.stats().batches); // [10], fewer batches than requests
 * await predictor.close();
 * ```
 */
export function createPredictor(model: Model, options?: PredictorOptions): Predictor {
  return new Predictor(model, options);
}
