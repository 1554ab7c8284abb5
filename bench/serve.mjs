// Load test of the example inference service (examples/server) on loopback: npm run bench:serve
//
//   --duration S        seconds measured per point (default 8), after --warmup S (default 2)
//   --connections LIST  concurrent clients (default 1,16,64)
//   --threads N         the server's kernel threads (default 2)
//
// For kerasMnist (random weights: speed does not depend on them) it measures requests/s and
// p50/p99 latency with dynamic batching (the predictor's defaults) and without (maxBatchSize 1:
// one native call per request), at each client count, with JSON bodies of 784 numbers; plus raw
// float32 bodies at the highest count, to show what JSON costs; and, at the highest count, the
// same server with a near-free model, the HTTP ceiling of this machine. First, the same comparison without
// HTTP (closed-loop callers of the predictor in one process: bench/peers/convkit.mjs predictor)
// shows what batching gains in the native calls alone. The server runs in its own
// process (so the load generator, autocannon, does not share its event loop) and reports through
// GET /metrics its event-loop delay during each point (p99 and max since the previous scrape),
// its batch sizes and its CPU time. A table goes to stdout, everything to
// bench/results/serve-<time>.json. Needs a built convkit (npm run build).
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { seededUniform } from './lib/measure.mjs';
import { cpuBusyShare, cpuClock, gitState, otherWorkShare, runPeerTask } from './lib/peer.mjs';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = join(benchDir, '..');
const serverMain = join(root, 'examples', 'server', 'main.mjs');
const INPUT_SIZE = 28 * 28;
/** The issue's targets, checked at the highest client count. */
const TARGETS = { speedup: 3, p99Ms: 50, eventLoopP99Ms: 20 };
const MODES = [
  { name: 'batched', label: 'dynamic batching (defaults)', flags: [] },
  { name: 'single', label: 'one at a time (maxBatchSize 1)', flags: ['--max-batch-size', '1'] },
];

/**
 * A saved model as cheap as a model can be (flatten + dense 784 -> 10, 16 kFLOP a request): served
 * with dynamic batching, it measures what HTTP, JSON, validation and the predictor's plumbing
 * allow on this machine, the ceiling any model's requests/s stays under. Returns its directory.
 */
async function saveCeilingModel() {
  const ck = await import(join(root, 'dist', 'esm', 'index.mjs'));
  const model = ck.sequential({
    layers: [ck.layers.flatten({ inputShape: [28, 28, 1] }), ck.layers.dense({ units: 10, activation: 'softmax' })],
  });
  const dir = mkdtempSync(join(tmpdir(), 'convkit-ceiling-'));
  await model.save(dir);
  return dir;
}

function parseOptions() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '8' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '1,16,64' },
      threads: { type: 'string', default: '2' },
    },
  });
  const positive = (text, flag) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${flag} takes a positive integer, got '${text}'`);
    return value;
  };
  return {
    duration: positive(values.duration, 'duration'),
    warmup: positive(values.warmup, 'warmup'),
    connections: values.connections.split(',').map((c) => positive(c.trim(), 'connections')),
    threads: positive(values.threads, 'threads'),
  };
}

/** Starts main.mjs on a free loopback port; resolves with { child, address } once it listens. */
function startServer(flags, threads) {
  return new Promise((resolvePromise, reject) => {
    const child = fork(serverMain, ['--port', '0', ...flags], {
      env: { ...process.env, CONVKIT_NUM_THREADS: String(threads) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-2000);
    });
    child.once('message', ({ address }) => resolvePromise({ child, address }));
    child.once('exit', (code) => reject(new Error(`the server exited with code ${code}: ${stderr.trim()}`)));
  });
}

function stopServer(child) {
  return new Promise((resolvePromise) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolvePromise());
    child.kill('SIGTERM');
  });
}

/** The values of the server's /metrics that the benchmark reads. */
async function scrape(address) {
  const text = await (await fetch(`${address}/metrics`)).text();
  const value = (name) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    if (!line) throw new Error(`the server's /metrics has no ${name}`);
    return Number(line.slice(name.length + 1));
  };
  return {
    cpuSeconds: value('process_cpu_seconds_total'),
    eventLoopP99Ms: 1000 * value('nodejs_eventloop_lag_p99_seconds'),
    eventLoopMaxMs: 1000 * value('nodejs_eventloop_lag_max_seconds'),
    batches: value('convkit_predictor_batch_size_count'),
    batchedRequests: value('convkit_predictor_batch_size_sum'),
  };
}

const load = (address, body, connections, seconds) =>
  autocannon({
    url: `${address}/predict`,
    method: 'POST',
    connections,
    duration: seconds,
    pipelining: 1,
    headers: { 'content-type': body.contentType },
    body: body.payload,
  });

/** One point: warm-up, then a timed load between two scrapes of the server's metrics. */
async function measurePoint(address, body, connections, options) {
  await load(address, body, connections, options.warmup);
  const before = await scrape(address);
  const clock = cpuClock();
  const ownCpu = process.cpuUsage();
  const result = await load(address, body, connections, options.duration);
  const after = await scrape(address);
  const benchCpu = process.cpuUsage(ownCpu);
  const serverCpu = after.cpuSeconds - before.cpuSeconds;
  const batches = after.batches - before.batches;
  return {
    connections,
    requestsPerSecond: result['2xx'] / result.duration,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    meanBatchSize: batches > 0 ? (after.batchedRequests - before.batchedRequests) / batches : 0,
    eventLoopP99Ms: after.eventLoopP99Ms,
    eventLoopMaxMs: after.eventLoopMaxMs,
    serverCpuSeconds: serverCpu,
    otherWork: otherWorkShare(clock, cpuClock(), serverCpu + (benchCpu.user + benchCpu.system) / 1e6),
  };
}

/** The JSON a client would send for a 28x28 grey image: 8-bit pixels scaled to [0, 1]. */
function bodies() {
  const pixels = Array.from(seededUniform(INPUT_SIZE, 7), (u) => Math.floor(256 * u) / 255);
  const bytes = Buffer.alloc(4 * INPUT_SIZE);
  pixels.forEach((p, i) => bytes.writeFloatLE(p, 4 * i));
  return {
    json: { contentType: 'application/json', payload: JSON.stringify({ input: pixels }) },
    binary: { contentType: 'application/octet-stream', payload: bytes },
  };
}

const format = (value, digits = 0) =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const noisy = (point) =>
  point.otherWork > 0.05 ? ` (other processes: ${format(100 * point.otherWork)}% of the CPUs)` : '';

async function main() {
  const options = parseOptions();
  const started = new Date();
  if (!existsSync(join(root, 'dist', 'esm', 'index.mjs')))
    throw new Error('convkit is not built: run npm run build first');
  const machine = {
    cpu: cpus()[0]?.model?.trim() ?? 'unknown',
    logicalCpus: cpus().length,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadAverage: loadavg(),
    busyBeforeStart: await cpuBusyShare(),
  };
  const { json, binary } = bodies();
  console.log(
    `bench:serve: kerasMnist behind examples/server on loopback, ${options.threads} kernel thread(s); ` +
      `${options.warmup} s warm-up + ${options.duration} s per point; ${machine.cpu}, ${machine.logicalCpus} CPUs, Node ${machine.node}`,
  );
  console.log(`JSON body ${format(json.payload.length)} bytes, binary body ${binary.payload.length} bytes`);
  if (machine.busyBeforeStart > 0.2)
    console.warn(
      `warning: other work kept the CPUs ${format(100 * machine.busyBeforeStart)}% busy before the start: figures may be noisy`,
    );

  const most = Math.max(...options.connections);
  console.log('\n## The predictor alone (no HTTP): closed-loop callers in one process\n');
  const inProcess = await runPeerTask(
    join(benchDir, 'peers', 'convkit.mjs'),
    'predictor',
    [
      '--threads',
      String(options.threads),
      '--seconds',
      String(options.duration),
      '--connections',
      options.connections.join(','),
    ],
    { env: { CONVKIT_NUM_THREADS: String(options.threads) } },
  );
  if (!inProcess.ok) throw new Error(`the in-process measure failed: ${inProcess.reason}`);
  const inProcessLines = [
    '| callers | batched images/s | mean batch | one-at-a-time images/s | batched / one-at-a-time |',
    '|---:|---:|---:|---:|---:|',
    ...options.connections.map((connections) => {
      const [b, s] = ['batched', 'single'].map((mode) =>
        inProcess.result.points.find((p) => p.mode === mode && p.connections === connections),
      );
      return `| ${connections} | ${format(b.imagesPerSecond)} | ${format(b.meanBatchSize, 1)} | ${format(s.imagesPerSecond)} | ${format(b.imagesPerSecond / s.imagesPerSecond, 2)} |`;
    }),
  ];
  console.log(inProcessLines.join('\n'));
  if (inProcess.otherWork > 0.05)
    console.log(`Other processes took ${format(100 * inProcess.otherWork)}% of the CPUs meanwhile.`);

  console.log(`\n## HTTP: examples/server in a child process, autocannon on loopback\n`);
  const points = [];
  const ceilingModel = await saveCeilingModel();
  const ceilingMode = {
    name: 'ceiling',
    label: 'the same server with a dense 784->10 model',
    flags: ['--model', ceilingModel],
  };
  for (const mode of [...MODES, ceilingMode]) {
    const { child, address } = await startServer(mode.flags, options.threads);
    try {
      const check = await fetch(`${address}/predict`, {
        method: 'POST',
        headers: { 'content-type': json.contentType },
        body: json.payload,
      });
      const answer = await check.json();
      if (check.status !== 200 || answer.output?.length !== 10)
        throw new Error(`the server answered ${check.status}: ${JSON.stringify(answer)}`);
      const runs =
        mode === ceilingMode
          ? [['json', most]]
          : [...options.connections.map((c) => ['json', c]), ...(mode.name === 'batched' ? [['binary', most]] : [])];
      for (const [bodyName, connections] of runs) {
        process.stdout.write(`  ${mode.name}, ${bodyName}, ${connections} client(s) ... `);
        const point = {
          mode: mode.name,
          body: bodyName,
          ...(await measurePoint(address, bodyName === 'json' ? json : binary, connections, options)),
        };
        points.push(point);
        console.log(
          `${format(point.requestsPerSecond)} req/s, p50 ${point.latencyP50Ms} ms, p99 ${point.latencyP99Ms} ms, ` +
            `event loop p99 ${format(point.eventLoopP99Ms, 1)} ms${point.non2xx + point.errors + point.timeouts ? `, ${point.non2xx} non-2xx, ${point.errors} errors, ${point.timeouts} timeouts` : ''}${noisy(point)}`,
        );
      }
    } finally {
      await stopServer(child);
    }
  }
  rmSync(ceilingModel, { recursive: true, force: true });

  const find = (mode, connections, body = 'json') =>
    points.find((p) => p.mode === mode && p.connections === connections && p.body === body);
  const lines = [
    '| clients | batched req/s | p50 ms | p99 ms | mean batch | event loop p99 ms | one-at-a-time req/s | p50 ms | p99 ms | event loop p99 ms | batched / one-at-a-time |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const connections of options.connections) {
    const b = find('batched', connections);
    const s = find('single', connections);
    lines.push(
      `| ${connections} | ${format(b.requestsPerSecond)} | ${b.latencyP50Ms} | ${b.latencyP99Ms} | ${format(b.meanBatchSize, 1)} | ${format(b.eventLoopP99Ms, 1)} | ` +
        `${format(s.requestsPerSecond)} | ${s.latencyP50Ms} | ${s.latencyP99Ms} | ${format(s.eventLoopP99Ms, 1)} | ${format(b.requestsPerSecond / s.requestsPerSecond, 2)} |`,
    );
  }
  const bin = find('batched', most, 'binary');
  const top = find('batched', most);
  const speedup = top.requestsPerSecond / find('single', most).requestsPerSecond;
  const verdict = (ok) => (ok ? 'met' : 'MISSED');
  const alone = (mode) =>
    inProcess.result.points.find((p) => p.mode === mode && p.connections === most).imagesPerSecond;
  const ceiling = find('ceiling', most);
  const needed = TARGETS.speedup * find('single', most).requestsPerSecond;
  const summary = [
    `without HTTP, ${most} callers: batched / one-at-a-time ${format(alone('batched') / alone('single'), 2)}`,
    `HTTP ceiling (${ceilingMode.label}), ${most} clients, JSON: ${format(ceiling.requestsPerSecond)} req/s; ` +
      `${TARGETS.speedup}x one-at-a-time would need ${format(needed)} req/s` +
      (needed > ceiling.requestsPerSecond ? ', more than HTTP alone allows here' : ''),
    `raw float32 bodies, batched, ${most} clients: ${format(bin.requestsPerSecond)} req/s, p50 ${bin.latencyP50Ms} ms, p99 ${bin.latencyP99Ms} ms, mean batch ${format(bin.meanBatchSize, 1)}`,
    `targets at ${most} clients: batched / one-at-a-time ${format(speedup, 2)} (>= ${TARGETS.speedup}: ${verdict(speedup >= TARGETS.speedup)}), ` +
      `batched p99 ${top.latencyP99Ms} ms (< ${TARGETS.p99Ms}: ${verdict(top.latencyP99Ms < TARGETS.p99Ms)}), ` +
      `event-loop p99 ${format(top.eventLoopP99Ms, 1)} ms (< ${TARGETS.eventLoopP99Ms}: ${verdict(top.eventLoopP99Ms < TARGETS.eventLoopP99Ms)})`,
    'Latencies as autocannon measures them (whole milliseconds); event-loop delay from monitorEventLoopDelay in the server (1 ms sampling, included).',
  ];
  console.log(`\n${lines.join('\n')}\n\n${summary.join('\n')}`);
  const noisyPoints = points.filter((p) => p.otherWork > 0.05);
  if (noisyPoints.length)
    console.log(
      `${noisyPoints.length} point(s) ran while other processes took over 5% of the CPUs: figures may be low.`,
    );

  const report = {
    format: 1,
    kind: 'serve',
    date: started.toISOString(),
    git: gitState(root),
    machine,
    options,
    targets: TARGETS,
    inProcess: { ...inProcess.result, otherWork: inProcess.otherWork, table: inProcessLines.join('\n') },
    points,
    speedupAtMostClients: speedup,
    table: lines.join('\n'),
    summary,
  };
  const resultsDir = join(benchDir, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `serve-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`results: ${relative(process.cwd(), file)}`);
}

main().catch((error) => {
  console.error(`bench:serve: ${error.message}`);
  process.exit(1);
});
