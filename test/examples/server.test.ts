// The example inference service (examples/server/server.mjs) through fastify.inject: no port is
// opened. The example imports 'convkit'; here that name is routed to the library's source, so the
// test's models and the server share one copy of it (and no build is needed).
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as ck from '../../lib';
import { expectClose } from '../helpers/assert';
import { randomArray, rng } from '../helpers/random';

vi.mock('convkit', () => import('../../lib'));

type Server = FastifyInstance & { predictor: ck.Predictor };
interface ServerModule {
  buildServer(options: { model: ck.Sequential; predictor?: ck.PredictorOptions; bodyLimit?: number }): Server;
  defaultBodyLimit(inputSize: number): number;
}
// A computed specifier: the example is plain JavaScript without type declarations.
const serverModule = new URL('../../examples/server/server.mjs', import.meta.url).href;
const { buildServer, defaultBodyLimit } = (await import(serverModule)) as ServerModule;

const IMAGE = [8, 8, 1];
const IMAGE_SIZE = 64;

function smallConvnet() {
  return ck.sequential({
    seed: 3,
    layers: [
      ck.layers.conv2d({ inputShape: IMAGE, filters: 4, kernelSize: 3, activation: 'relu' }),
      ck.layers.maxPooling2d({ poolSize: 2 }),
      ck.layers.flatten(),
      ck.layers.dense({ units: 5, activation: 'softmax' }),
    ],
  });
}

const servers: Server[] = [];
function serve(predictor: ck.PredictorOptions = {}) {
  const model = smallConvnet();
  const app = buildServer({ model, predictor });
  servers.push(app);
  return { app, model };
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((app) => app.close()));
});

const image = (seed: number) => randomArray(rng(seed), IMAGE_SIZE, 0, 1);
/** Nested [8][8][1] arrays, row-major like the tensor. */
const nested = (values: Float32Array) =>
  Array.from({ length: 8 }, (_, y) => Array.from({ length: 8 }, (_, x) => [values[y * 8 + x]]));
/** Little-endian float32 bytes, whatever the host's byte order. */
function float32Bytes(values: ArrayLike<number>): Buffer {
  const bytes = Buffer.alloc(4 * values.length);
  for (let i = 0; i < values.length; i++) bytes.writeFloatLE(values[i], 4 * i);
  return bytes;
}
const postJson = (body: unknown): InjectOptions => ({
  method: 'POST',
  url: '/predict',
  payload: JSON.stringify(body),
  headers: { 'content-type': 'application/json' },
});
const postBinary = (body: Buffer): InjectOptions => ({
  method: 'POST',
  url: '/predict',
  payload: body,
  headers: { 'content-type': 'application/octet-stream' },
});

async function expected(model: ck.Sequential, values: Float32Array): Promise<Float32Array> {
  return (await model.predict(ck.tensor(values, [1, ...IMAGE]))).data;
}

describe('POST /predict', () => {
  it('answers JSON (flat and nested) and raw float32 bodies with the model output', async () => {
    const { app, model } = serve();
    const values = image(1);
    const reference = await expected(model, values);
    for (const request of [
      postJson({ input: Array.from(values) }),
      postJson({ input: nested(values) }),
      postBinary(float32Bytes(values)),
    ]) {
      const response = await app.inject(request);
      expect(response.statusCode, response.body).toBe(200);
      expectClose(
        response.json().output,
        reference,
        { atol: 1e-6, rtol: 1e-5 },
        String(request.headers!['content-type']),
      );
    }
  });

  it('batches concurrent requests and answers each with its own output', async () => {
    const { app, model } = serve({ maxBatchSize: 8, maxDelayMs: 20 });
    const inputs = Array.from({ length: 16 }, (_, i) => image(100 + i));
    const responses = await Promise.all(inputs.map((values) => app.inject(postJson({ input: Array.from(values) }))));
    for (const [i, response] of responses.entries()) {
      expect(response.statusCode, response.body).toBe(200);
      expectClose(response.json().output, await expected(model, inputs[i]), { atol: 1e-6, rtol: 1e-5 }, `request ${i}`);
    }
    const stats = app.predictor.stats();
    expect(stats.completed).toBe(16);
    expect(stats.batches).toBeLessThan(16);
  });

  const good = () => Array.from(image(2));
  const withItem = (index: number, value: unknown) => {
    const values: unknown[] = good();
    values[index] = value;
    return values;
  };
  const raw = (payload: string, contentType?: string): InjectOptions => ({
    method: 'POST',
    url: '/predict',
    payload,
    headers: contentType ? { 'content-type': contentType } : {},
  });
  const malformed: [string, () => InjectOptions, number, RegExp][] = [
    [
      'text/plain content type',
      () => raw(JSON.stringify({ input: good() }), 'text/plain'),
      415,
      /content-type text\/plain is not supported: send JSON/,
    ],
    ['unknown content type', () => raw('x', 'image/png'), 415, /content-type image\/png is not supported/],
    [
      'too few values',
      () => postJson({ input: good().slice(1) }),
      400,
      /body\/input must be an array of 64 numbers or nested arrays of shape \[8, 8, 1\]: body\/input must NOT have fewer than 64 items/,
    ],
    ['too many values', () => postJson({ input: [...good(), 0] }), 400, /must NOT have more than 64 items/],
    ['a string among the values', () => postJson({ input: withItem(3, '0.5') }), 400, /body\/input\/3 must be number/],
    ['a null among the values', () => postJson({ input: withItem(60, null) }), 400, /body\/input\/60 must be number/],
    [
      'NaN (not JSON)',
      () => raw(JSON.stringify({ input: good() }).replace(/^\{"input":\[[^,]+/, '{"input":[NaN'), 'application/json'),
      400,
      /not valid JSON/,
    ],
    [
      'a value beyond float32',
      () => postJson({ input: withItem(5, 1e39) }),
      400,
      /input\[5\] is Infinity; inputs must be finite/,
    ],
    [
      'input is a string',
      () => postJson({ input: 'pixels' }),
      400,
      /body\/input must be an array of 64 numbers.*: body\/input must be array/,
    ],
    [
      'input is null',
      () => postJson({ input: null }),
      400,
      /body\/input must be an array of 64 numbers.*: body\/input must be array/,
    ],
    [
      'a __proto__ key',
      () => raw(`{"input":${JSON.stringify(good())},"__proto__":{"polluted":1}}`, 'application/json'),
      400,
      /not valid JSON/,
    ], // Fastify's wording for a refused __proto__
    [
      'JSON with a charset',
      () => raw(JSON.stringify({ input: good().slice(2) }), 'application/json; charset=utf-8'),
      400,
      /must NOT have fewer than 64 items/,
    ],
    ['no input field', () => postJson({ pixels: good() }), 400, /body must have required property 'input'/],
    [
      'an extra field',
      () => postJson({ input: good(), model: 'other' }),
      400,
      /body must NOT have additional properties/,
    ],
    ['a JSON array body', () => postJson(good()), 400, /body must be object/],
    [
      'nested, a row too short',
      () => postJson({ input: nested(image(3)).map((row, y) => (y === 2 ? row.slice(1) : row)) }),
      400,
      /body\/input\/2 must NOT have fewer than 8 items/,
    ],
    [
      'nested, one level short',
      () => postJson({ input: nested(image(3)).map((row) => row.map(([v]) => v)) }),
      400,
      /body\/input\/0\/0 must be array/,
    ],
    [
      'nested, a string inside',
      () => postJson({ input: nested(image(3)).map((row, y) => (y === 7 ? row.map(() => ['x']) : row)) }),
      400,
      /body\/input\/7\/0\/0 must be number/,
    ],
    ['empty JSON body', () => raw('', 'application/json'), 400, /Body cannot be empty/],
    [
      'no body, no content type',
      () => ({ method: 'POST', url: '/predict' }),
      400,
      /body must be JSON \{ "input": \[\.\.\.\] \}/,
    ],
    [
      'binary, too few values',
      () => postBinary(float32Bytes(good().slice(1))),
      400,
      /input must have 64 values \(shape \[8, 8, 1\]\), got 63/,
    ],
    ['binary, empty', () => postBinary(Buffer.alloc(0)), 400, /got 0/],
    [
      'binary, not whole floats',
      () => postBinary(Buffer.alloc(4 * IMAGE_SIZE - 1)),
      400,
      /4 bytes each\), got 255 bytes/,
    ],
    ['binary, a NaN', () => postBinary(float32Bytes(withItem(9, NaN) as number[])), 400, /input\[9\] is NaN/],
    [
      'a body over the limit',
      () => postJson({ input: good(), padding: ' '.repeat(defaultBodyLimit(IMAGE_SIZE)) }),
      413,
      /Request body is too large/,
    ],
  ];

  it('answers every malformed request with a 4xx and the reason, and keeps serving', async () => {
    const { app, model } = serve();
    for (const [name, request, status, reason] of malformed) {
      const response = await app.inject(request());
      expect(response.statusCode, `${name}: ${response.body}`).toBe(status);
      expect(response.json(), name).toMatchObject({ statusCode: status, message: expect.stringMatching(reason) });
    }
    const response = await app.inject(postJson({ input: good() }));
    expect(response.statusCode).toBe(200);
    expectClose(
      response.json().output,
      await expected(model, Float32Array.from(good())),
      { atol: 1e-6, rtol: 1e-5 },
      'after the bad ones',
    );
    // Four get past the schema and are refused by the predictor's own checks: the value beyond
    // float32 and the three binary bodies of whole floats.
    expect(app.predictor.stats()).toMatchObject({ requests: 1, rejected: { invalid: 4 } });
  });

  it('answers 503 with Retry-After when the queue is full, and still serves the queued requests', async () => {
    const { app, model } = serve({ maxBatchSize: 2, maxQueue: 2, maxInFlight: 1, maxDelayMs: 10_000 });
    // Hold the first batch in the model until the queue is seen full.
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const predict = model.predict.bind(model);
    vi.spyOn(model, 'predict').mockImplementationOnce(async (x, args) => {
      await held;
      return predict(x, args);
    });
    const inputs = [0, 1, 2, 3].map((i) => image(200 + i));
    const accepted = inputs.map((values) => app.inject(postJson({ input: Array.from(values) })));
    await vi.waitFor(() => expect(app.predictor.stats()).toMatchObject({ inFlightRequests: 2, queueDepth: 2 }));
    const refused = await app.inject(postJson({ input: good() }));
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json().message).toMatch(/maxQueue 2/);
    release();
    for (const [i, response] of (await Promise.all(accepted)).entries()) {
      expect(response.statusCode).toBe(200);
      expectClose(response.json().output, await expected(model, inputs[i]), { atol: 1e-6, rtol: 1e-5 }, `request ${i}`);
    }
  });

  it('answers 503 once the predictor is closed', async () => {
    const { app } = serve();
    await app.predictor.close();
    expect((await app.inject(postJson({ input: good() }))).statusCode).toBe(503);
    const health = await app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(503);
    expect(health.json()).toEqual({ status: 'closing' });
  });
});

describe('GET /health', () => {
  it('reports the model and the queue', async () => {
    const { app } = serve();
    const response = await app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      status: 'ok',
      model: 'sequential',
      inputShape: IMAGE,
      outputShape: [5],
      queueDepth: 0,
    });
  });
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const parseValue = (text: string) => (text === '+Inf' ? Infinity : text === '-Inf' ? -Infinity : Number(text));

/** Parses the Prometheus text format strictly: every line a HELP, a TYPE, or a sample of a declared family. */
function parsePrometheus(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.slice(0, -1).split('\n')) {
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (comment) {
      if (comment[1] === 'TYPE') {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped'], line).toContain(comment[3]);
        expect(types.has(comment[2]), `${comment[2]} declared twice`).toBe(false);
        types.set(comment[2], comment[3]);
      }
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    expect(sample, `not a sample line: ${line}`).not.toBeNull();
    const [, name, labelText = '', valueText] = sample!;
    const labels: Record<string, string> = {};
    const labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/gy;
    let consumed = 0;
    for (const match of labelText.matchAll(labelPattern)) {
      labels[match[1]] = match[2];
      consumed += match[0].length;
    }
    expect(consumed, `malformed labels in ${line}`).toBe(labelText.length);
    const value = parseValue(valueText);
    expect(Number.isNaN(value) && valueText !== 'NaN', `bad value in ${line}`).toBe(false);
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    expect(types.has(family), `${name} has no TYPE line before it`).toBe(true);
    samples.push({ name, labels, value });
  }
  return { types, samples };
}

describe('GET /metrics', () => {
  it('is Prometheus text that counts requests by status, latencies and batch sizes', async () => {
    const { app } = serve({ maxBatchSize: 4, maxDelayMs: 20 });
    const ok = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((i) => app.inject(postJson({ input: Array.from(image(300 + i)) }))),
    );
    expect(ok.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
    expect((await app.inject(postJson({ input: [1, 2] }))).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/no/such/page' })).statusCode).toBe(404);

    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const { types, samples } = parsePrometheus(response.body);
    const value = (name: string, labels: Record<string, string> = {}) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

    expect(value('convkit_http_requests_total', { route: '/predict', status: '200' })).toBe(6);
    expect(value('convkit_http_requests_total', { route: '/predict', status: '400' })).toBe(1);
    expect(value('convkit_http_requests_total', { route: 'unmatched', status: '404' })).toBe(1);

    // Histograms: cumulative buckets ending in +Inf = _count.
    expect(types.get('convkit_http_request_duration_seconds')).toBe('histogram');
    expect(types.get('convkit_predictor_batch_size')).toBe('histogram');
    const buckets = (name: string, labels: Record<string, string>) =>
      samples.filter((s) => s.name === `${name}_bucket` && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    for (const [name, labels, count] of [
      ['convkit_http_request_duration_seconds', { route: '/predict' }, 7],
      ['convkit_predictor_batch_size', {}, app.predictor.stats().batches],
    ] as const) {
      const series = buckets(name, labels);
      expect(series.length).toBeGreaterThan(2);
      series.slice(1).forEach((bucket, i) => {
        expect(parseValue(bucket.labels.le)).toBeGreaterThan(parseValue(series[i].labels.le));
        expect(bucket.value).toBeGreaterThanOrEqual(series[i].value);
      });
      expect(series.at(-1)!.labels.le).toBe('+Inf');
      expect(series.at(-1)!.value).toBe(count);
      expect(value(`${name}_count`, labels)).toBe(count);
    }
    // Six requests in batches of at most four: the sizes sum to six, none above four.
    expect(value('convkit_predictor_batch_size_sum')).toBe(6);
    expect(value('convkit_predictor_batch_size_bucket', { le: '4' })).toBe(app.predictor.stats().batches);
    expect(value('convkit_predictor_queue_depth')).toBe(0);
    expect(value('convkit_predictor_requests_total')).toBe(6);
    expect(value('convkit_predictor_rejected_total', { reason: 'queue_full' })).toBe(0);
    expect(value('nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
  });
});
