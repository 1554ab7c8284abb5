// The stress engine, run as a child process by scripts/stress.mjs (which watches it for hangs and
// crashes): the main thread runs its workload (scripts/stress/workload.mjs) while `workers`
// worker_threads, each loading convkit itself, run theirs, and are terminated at seeded random
// moments and respawned. It sends the supervisor a heartbeat (operations completed and in flight
// per thread) every half second, each contract violation as it happens, and a summary at the end.
// Usage: node engine.mjs '{"seed":1,"seconds":20,"workers":2}' (with an IPC channel), or as a worker.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Chooser, deriveSeed, Recorder } from './world.mjs';
import { Workload } from './workload.mjs';

const HEARTBEAT_MS = 500;
/** Longest wait for a worker to finish its last operations after the deadline. */
const WORKER_DRAIN_MS = 20_000;

async function runWorker({ seed, label, deadline, tmpDir }) {
  const recorder = new Recorder(label, (line) => parentPort.postMessage({ type: 'violation', line }));
  const timer = setInterval(
    () => parentPort.postMessage({ type: 'progress', snapshot: recorder.snapshot() }),
    HEARTBEAT_MS / 2,
  );
  await new Workload({ seed, label, deadline, readers: 2, tmpDir, recorder }).run();
  clearInterval(timer);
  parentPort.postMessage({ type: 'done', snapshot: recorder.snapshot() });
}

/** One worker position: the worker running in it now, respawned after each terminate(). */
class WorkerSeat {
  constructor(index, options) {
    this.index = index;
    this.options = options;
    this.incarnation = 0;
    /** Final snapshots of the workers that ran here before. */
    this.past = [];
  }

  spawn() {
    const label = `worker${this.index}.${this.incarnation++}`;
    const { seed, deadline, tmpDir, recorder, send } = this.options;
    const worker = new Worker(new URL(import.meta.url), { workerData: { seed, label, deadline, tmpDir } });
    const current = { label, worker, snapshot: null, terminating: false, hasExited: false, exited: null };
    current.exited = new Promise((resolve) => {
      worker.on('message', (message) => {
        if (message.type === 'violation') send({ type: 'violation', line: message.line });
        else current.snapshot = message.snapshot;
      });
      worker.on('error', (error) => recorder.violation('worker', `${label} threw ${error?.stack ?? error}`));
      worker.on('exit', (code) => {
        if (code !== 0 && !current.terminating)
          recorder.violation('worker', `${label} exited abnormally with code ${code}`);
        current.hasExited = true;
        resolve();
      });
    });
    this.current = current;
  }

  /** terminate() at whatever the worker is doing, then a fresh worker in its place. */
  async terminateAndRespawn() {
    const old = this.current;
    old.terminating = true;
    await old.worker.terminate();
    if (old.snapshot) this.past.push(old.snapshot);
    this.spawn();
  }

  snapshots() {
    return this.current.snapshot ? [...this.past, this.current.snapshot] : this.past;
  }
}

async function runMain({ seed, seconds, workers }) {
  const started = Date.now();
  const deadline = started + seconds * 1000;
  const tmpDir = mkdtempSync(join(tmpdir(), 'convkit-stress-'));
  const send = (message) => process.send?.(message);
  const recorder = new Recorder('main', (line) => send({ type: 'violation', line }));
  process.on('unhandledRejection', (error) => recorder.violation('unhandledRejection', String(error?.stack ?? error)));
  const seats = Array.from(
    { length: workers },
    (_, i) => new WorkerSeat(i, { seed, deadline, tmpDir, recorder, send }),
  );
  seats.forEach((seat) => seat.spawn());

  const heartbeat = setInterval(() => {
    const sources = { main: recorder.snapshot() };
    for (const seat of seats) {
      // A worker counts from its spawn: a fresh one has completed nothing yet.
      sources[seat.current.label] = seat.current.snapshot ?? { completed: 0, inFlight: ['starting'] };
    }
    send({ type: 'heartbeat', sources });
  }, HEARTBEAT_MS);

  const terminations =
    workers > 0 ? terminateAtRandom(new Chooser(deriveSeed(seed, 'terminations')), seats, deadline, recorder) : null;
  await new Workload({ seed, label: 'main', deadline, readers: 3, tmpDir, recorder }).run();
  await terminations;
  await Promise.race([Promise.all(seats.map((seat) => seat.current.exited)), sleep(WORKER_DRAIN_MS)]);
  for (const { current } of seats) {
    if (!current.hasExited)
      recorder.violation('hang', `${current.label} did not finish within ${WORKER_DRAIN_MS / 1000} s of the deadline`);
  }
  clearInterval(heartbeat);
  const snapshots = [recorder.snapshot(), ...seats.flatMap((seat) => seat.snapshots())];
  send({ type: 'summary', summary: summarize(snapshots, { seed, seconds: (Date.now() - started) / 1000, workers }) });
  rmSync(tmpDir, { recursive: true, force: true });
  process.exit(0);
}

/** Terminates a random worker every 0.3 to 2.5 s (seeded), respawning it, until the deadline. */
async function terminateAtRandom(chooser, seats, deadline, recorder) {
  for (let i = 0; i < 100_000; i++) {
    await sleep(300 + chooser.int(2200));
    if (Date.now() >= deadline - 1000) return;
    const seat = chooser.pick(seats);
    await recorder.op('terminateWorker', seat.current.label, () => seat.terminateAndRespawn());
  }
}

/** Sums the threads' counts. */
function summarize(snapshots, run) {
  const add = (into, from) => {
    for (const [key, count] of Object.entries(from)) into[key] = (into[key] ?? 0) + count;
    return into;
  };
  return {
    ...run,
    operations: snapshots.reduce((sum, s) => sum + s.completed, 0),
    ops: snapshots.reduce((into, s) => add(into, s.ops), {}),
    errors: snapshots.reduce((into, s) => add(into, s.errors), {}),
    violations: snapshots.reduce((into, s) => add(into, s.violations), {}),
    examples: snapshots.flatMap((s) => s.examples).slice(0, 40),
  };
}

if (isMainThread) await runMain(JSON.parse(process.argv[2]));
else await runWorker(workerData);
