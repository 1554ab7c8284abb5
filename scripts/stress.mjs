// npm run stress [-- --seconds N --seed S --workers K --stall N --json]: a seeded, time-bounded stress
// test of the model concurrency contract (what predict, fit, setWeights, compile, save, dispose,
// Predictor and worker.terminate() guarantee when they overlap). The engine
// (scripts/stress/engine.mjs) runs in a child process; this supervisor fails the run on a hang (a
// thread completing no operation, or one operation running, for --stall seconds; or the run
// overrunning its bound), on a crash (the child's abnormal exit, with its code and stderr), and on
// any contract violation the engine reports. It prints operations and errors by kind, the time and
// the seed (replay a failure with --seed). Needs a build (npm run build:ts).
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(root, 'dist', 'esm', 'index.mjs'))) {
  console.error('stress: dist/ is missing; run npm run build:ts first');
  process.exit(1);
}

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '120' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    workers: { type: 'string', default: '2' },
    stall: { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
  },
});
const integerOption = (name, min) => {
  const value = Number(values[name]);
  if (!Number.isSafeInteger(value) || value < min)
    throw new RangeError(`--${name} must be an integer >= ${min}, got ${values[name]}`);
  return value;
};
const seconds = integerOption('seconds', 1);
const seed = integerOption('seed', 0);
const workers = integerOption('workers', 0);
const stallSeconds = integerOption('stall', 1);
// Past the deadline the engine waits for the operations under way and the workers to finish.
const overrunSeconds = Math.max(30, seconds / 2);

console.log(`stress: seed ${seed}, ${seconds} s, ${workers} workers (replay with --seed ${seed})`);
const child = fork(join(root, 'scripts', 'stress', 'engine.mjs'), [JSON.stringify({ seed, seconds, workers })], {
  stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
});
let stderr = '';
child.stderr.on('data', (chunk) => {
  process.stderr.write(chunk);
  stderr = (stderr + chunk).slice(-8000);
});

const started = Date.now();
let summary = null;
let lastHeartbeat = { at: Date.now(), sources: {} };
/** Per thread: its completed count and when it last grew. */
const progress = new Map();
const violations = [];
let hang = null;

child.on('message', (message) => {
  if (message.type === 'violation') {
    violations.push(message.line);
    if (violations.length <= 20) console.log(`VIOLATION ${message.line}`);
  } else if (message.type === 'heartbeat') {
    lastHeartbeat = { at: Date.now(), sources: message.sources };
    for (const [source, { completed }] of Object.entries(message.sources)) {
      const known = progress.get(source);
      if (!known || completed > known.completed) progress.set(source, { completed, at: Date.now() });
    }
  } else if (message.type === 'summary') {
    summary = message.summary;
  }
});

const watchdog = setInterval(() => {
  const now = Date.now();
  const stalled = (at) => now - at > stallSeconds * 1000;
  if (stalled(lastHeartbeat.at)) hang = `no heartbeat for ${stallSeconds} s: the engine's main thread is blocked`;
  for (const [source, snapshot] of Object.entries(lastHeartbeat.sources)) {
    if (hang) break;
    if (stalled(progress.get(source)?.at ?? now)) hang = `${source} completed no operation for ${stallSeconds} s`;
    const stuck = snapshot.inFlight.find((label) => Number(/\(([\d.]+) s\)$/.exec(label)?.[1]) > stallSeconds);
    if (stuck) hang = `${source}: an operation has run for over ${stallSeconds} s: ${stuck}`;
  }
  if (!hang && now - started > (seconds + overrunSeconds) * 1000)
    hang = `the run exceeded its ${seconds} s bound by over ${overrunSeconds} s`;
  if (!hang) return;
  console.log(`HANG: ${hang}`);
  for (const [source, snapshot] of Object.entries(lastHeartbeat.sources))
    console.log(`  in flight on ${source}: ${snapshot.inFlight.join('; ') || 'nothing'}`);
  child.kill('SIGKILL');
}, 1000);

child.on('exit', (code, signal) => {
  clearInterval(watchdog);
  const failures = [];
  if (hang) failures.push(`hang: ${hang}`);
  else if (code !== 0 || !summary)
    failures.push(
      `crash: the engine exited with ${signal ? `signal ${signal}` : `code ${code}`}${stderr ? `; stderr ends:\n${stderr}` : ''}`,
    );
  if (summary) report(summary);
  if (violations.length > 0) failures.push(`${violations.length} contract violations`);
  const passed = failures.length === 0;
  console.log(passed ? `stress passed (seed ${seed})` : `stress FAILED (seed ${seed}): ${failures.join('; ')}`);
  if (values.json)
    console.log(
      `STRESS_RESULT ${JSON.stringify({ passed, seed, failures, violations: violations.slice(0, 40), summary })}`,
    );
  process.exit(passed ? 0 : 1);
});

function report(result) {
  const table = (title, counts) => {
    const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
    console.log(`${title}:${entries.length === 0 ? ' none' : ''}`);
    for (const [key, count] of entries) console.log(`  ${String(count).padStart(8)}  ${key}`);
  };
  console.log(
    `\n${result.operations} operations in ${result.seconds.toFixed(1)} s (${(result.operations / result.seconds).toFixed(0)}/s), ` +
      `seed ${result.seed}, ${result.workers} workers`,
  );
  table('operations by kind', result.ops);
  table('documented errors by kind', result.errors);
  table('contract violations by kind', result.violations);
  if (result.examples.length > 0) console.log(`examples:\n  ${result.examples.join('\n  ')}`);
}
