// An inference service for a convkit model, on Fastify, with dynamic batching (ck.createPredictor):
//
//   POST /predict  { "input": number[] | nested arrays of the input shape }  (application/json)
//                  or the raw float32 little-endian values                  (application/octet-stream)
//                  -> 200 { "output": number[] }
//   GET  /health   -> 200 { status: "ok", ... }, 503 while closing
//   GET  /metrics  -> Prometheus text: requests by route and status, latency and batch-size
//                     histograms, queue depth, rejections, event-loop delay
//
// A malformed request gets a 4xx with the reason (400; 413 for a body over the limit, 415 for
// another content type); a full queue gets 503 with Retry-After. buildServer returns the Fastify
// instance without listening, so tests can use fastify.inject; main.mjs listens.
import { STATUS_CODES } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Fastify from 'fastify';
import * as ck from 'convkit';
import { Counter, Histogram, renderSamples } from './metrics.mjs';

/** Request latency buckets in seconds: the target is p99 under 50 ms. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** monitorEventLoopDelay's sampling interval in ms; each sample includes it. */
const EVENT_LOOP_RESOLUTION_MS = 1;

/** JSON numbers can be long ("-0.12345678901234567e-10", pretty-printed): 64 bytes per value. */
export const defaultBodyLimit = (inputSize) => 1024 + 64 * inputSize;

/** The request body's schema: { input } as a flat array of inputSize numbers or nested arrays of the input shape. */
function predictBodySchema(inputShape, inputSize) {
  const nested = inputShape.reduceRight((items, dim) => ({ type: 'array', minItems: dim, maxItems: dim, items }), {
    type: 'number',
  });
  const flat = { type: 'array', minItems: inputSize, maxItems: inputSize, items: { type: 'number' } };
  return {
    type: 'object',
    required: ['input'],
    additionalProperties: false,
    properties: { input: { anyOf: [flat, nested] } },
  };
}

/**
 * The reason a body failed the schema. Ajv reports an anyOf failure as each branch's first error
 * plus "must match a schema in anyOf": keep the error of the branch the input resembles (nested
 * when its first item is an array).
 */
function schemaErrorMessage(errors, body, inputShape, inputSize) {
  const anyOf = errors.find((e) => e.keyword === 'anyOf');
  if (!anyOf) return errors.map((e) => `body${e.instancePath} ${e.message}`).join(', ');
  const branch = Array.isArray(body.input) && Array.isArray(body.input[0]) ? 1 : 0;
  const error = errors.find((e) => e.schemaPath.startsWith(`${anyOf.schemaPath}/${branch}/`));
  const detail = error ? `: body${error.instancePath} ${error.message}` : '';
  return `body${anyOf.instancePath} must be an array of ${inputSize} numbers or nested arrays of shape [${inputShape.join(', ')}]${detail}`;
}

const ACCEPTED =
  'JSON { "input": [...] } (application/json) or raw float32 little-endian values (application/octet-stream)';

/** An error Fastify answers with `statusCode`. */
const httpError = (statusCode, message) => Object.assign(new Error(message), { statusCode });

/** The body's float32 values: from JSON (checked by the schema) or raw little-endian bytes. */
function inputValues(body, inputShape) {
  if (Buffer.isBuffer(body)) {
    if (body.length % 4 !== 0)
      throw httpError(400, `body must be float32 values (4 bytes each), got ${body.length} bytes`);
    const view = new DataView(body.buffer, body.byteOffset, body.length);
    const values = new Float32Array(body.length / 4);
    for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(4 * i, true);
    return values;
  }
  if (body === null || typeof body !== 'object') throw httpError(400, `body must be ${ACCEPTED}`);
  const { input } = body;
  return Float32Array.from(Array.isArray(input[0]) ? input.flat(inputShape.length - 1) : input);
}

/** Prometheus label values are snake_case by convention: queueFull -> queue_full. */
const snakeCase = (name) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/** The HTTP status for an error: the request's own fault keeps its 4xx, overload is 503, the rest 500. */
function statusOf(error) {
  if (error instanceof ck.PredictorError) return error.code === 'BATCH_FAILED' ? 500 : 503;
  const status = error.statusCode;
  return Number.isInteger(status) && status >= 400 && status < 600 ? status : 500;
}

/**
 * A Fastify instance serving `model` through a predictor made with `predictor` options (see
 * ck.createPredictor). `bodyLimit` caps request bodies in bytes (default defaultBodyLimit);
 * `logger` is Fastify's option. Closing the instance closes the predictor: requests already
 * accepted are answered first.
 */
export function buildServer({ model, predictor: predictorOptions = {}, bodyLimit, logger = false }) {
  const predictor = ck.createPredictor(model, predictorOptions);
  const { inputShape, outputShape } = predictor;
  const inputSize = inputShape.reduce((a, b) => a * b, 1);
  const app = Fastify({
    logger,
    bodyLimit: bodyLimit ?? defaultBodyLimit(inputSize),
    // Fastify's defaults would turn "0.5" into 0.5 and drop unknown fields: be strict instead.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
  });
  app.decorate('predictor', predictor);

  // JSON (Fastify's parser) and raw float32; nothing else, so text/plain gets a 415.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );

  const requests = new Counter('convkit_http_requests_total', 'HTTP requests answered, by route and status code.');
  const latency = new Histogram(
    'convkit_http_request_duration_seconds',
    'Time to answer an HTTP request, by route.',
    LATENCY_BUCKETS,
  );
  const batchBuckets = [];
  for (let size = 1; size < predictor.options.maxBatchSize; size *= 2) batchBuckets.push(size);
  batchBuckets.push(predictor.options.maxBatchSize);
  const eventLoopDelay = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  eventLoopDelay.enable();

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched'; // one series for every 404, not one per path
    requests.inc({ route, status: reply.statusCode });
    latency.observe(reply.elapsedTime / 1000, { route });
    done();
  });
  app.addHook('onClose', async () => {
    await predictor.close();
    eventLoopDelay.disable();
  });

  app.setErrorHandler((error, request, reply) => {
    const status = statusOf(error);
    const message =
      error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? `content-type ${request.headers['content-type'] ?? '(none)'} is not supported: send ${ACCEPTED}`
        : error.message;
    if (status >= 500) request.log.error(error);
    if (status === 503) reply.header('retry-after', '1');
    reply.code(status).send({ statusCode: status, error: STATUS_CODES[status], message });
  });

  app.post(
    '/predict',
    {
      schema: {
        body: { content: { 'application/json': { schema: predictBodySchema(inputShape, inputSize) } } },
        response: { 200: { type: 'object', properties: { output: { type: 'array', items: { type: 'number' } } } } },
      },
      attachValidation: true, // so the handler words the reason, seeing the body
    },
    async (request) => {
      if (request.validationError)
        throw httpError(
          400,
          schemaErrorMessage(request.validationError.validation, request.body, inputShape, inputSize),
        );
      const values = inputValues(request.body, inputShape);
      try {
        const output = await predictor.predict(values);
        return { output: Array.from(output.data) };
      } catch (error) {
        // The predictor's TypeError / RangeError name what is wrong with this input: the client's fault.
        if (error instanceof TypeError || error instanceof RangeError) throw httpError(400, error.message);
        throw error;
      }
    },
  );

  app.get('/health', async (_request, reply) => {
    if (predictor.closed) return reply.code(503).send({ status: 'closing' });
    return { status: 'ok', model: model.name, inputShape, outputShape, queueDepth: predictor.stats().queueDepth };
  });

  app.get('/metrics', async (_request, reply) => {
    const stats = predictor.stats();
    const batchSizes = new Histogram('convkit_predictor_batch_size', 'Requests per batched native call.', batchBuckets);
    stats.batchSizes.forEach((count, size) => {
      if (count > 0) batchSizes.observe(size, {}, count);
    });
    const cpu = process.cpuUsage();
    const seconds = (ns) => (eventLoopDelay.count > 0 ? ns / 1e9 : 0);
    const text = [
      requests.render(),
      latency.render(),
      batchSizes.render(),
      renderSamples('convkit_predictor_queue_depth', 'Requests waiting for a batch.', 'gauge', [
        { value: stats.queueDepth },
      ]),
      renderSamples('convkit_predictor_in_flight_batches', 'Batches computing now.', 'gauge', [
        { value: stats.inFlightBatches },
      ]),
      renderSamples('convkit_predictor_requests_total', 'Requests the predictor accepted.', 'counter', [
        { value: stats.requests },
      ]),
      renderSamples(
        'convkit_predictor_rejected_total',
        'Requests the predictor turned away, by reason.',
        'counter',
        Object.entries(stats.rejected).map(([reason, value]) => ({ labels: { reason: snakeCase(reason) }, value })),
      ),
      renderSamples('process_cpu_seconds_total', 'User and system CPU time of this process, all threads.', 'counter', [
        { value: (cpu.user + cpu.system) / 1e6 },
      ]),
      renderSamples(
        'nodejs_eventloop_lag_p50_seconds',
        'Median event-loop delay since the previous scrape (1 ms sampling, included).',
        'gauge',
        [{ value: seconds(eventLoopDelay.percentile(50)) }],
      ),
      renderSamples(
        'nodejs_eventloop_lag_p99_seconds',
        '99th percentile of the event-loop delay since the previous scrape.',
        'gauge',
        [{ value: seconds(eventLoopDelay.percentile(99)) }],
      ),
      renderSamples(
        'nodejs_eventloop_lag_max_seconds',
        'Longest event-loop delay since the previous scrape.',
        'gauge',
        [{ value: seconds(eventLoopDelay.max) }],
      ),
    ].join('');
    eventLoopDelay.reset();
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
  });

  return app;
}
