// The two sides of a peer measurement. run.mjs starts each peer task in its own Node process
// (fresh state, its own thread settings, and a crash stays that peer's), with an IPC channel: the
// child sends back one message, { ok: true, result } or { ok: false, reason }. Peers print what
// they like (tfjs greets on stdout); only the message counts.
import { execFileSync, fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { maxAbsDiff, seededUniform } from './measure.mjs';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The built convkit (dist/cjs/index.js), so the benchmark measures what `npm run build` produced. */
export function loadConvkit() {
  return createRequire(import.meta.url)(join(benchDir, '..', 'dist', 'cjs', 'index.js'));
}

/** Result of a measure that a peer does not offer: shown as "n/a" with the reason. */
export const notApplicable = (reason) => ({ na: reason });

/**
 * Child side: parses `TASK --threads N [--quick] [--NAME VALUE ...]` (e.g. --fixture FILE,
 * --backend cpu), runs tasks[TASK](options) and sends its result to the parent. A task that does
 * its work in child processes reports their CPU time as `result.childCpuSeconds`, so that work is
 * not mistaken for other processes' (process.cpuUsage() counts this process only).
 */
export async function servePeerTask(tasks) {
  const [task, ...rest] = process.argv.slice(2);
  const options = { threads: 2, quick: false };
  for (let i = 0; i < rest.length; i++) {
    const name = rest[i].replace(/^--/, '');
    if (name === 'quick') options.quick = true;
    else options[name] = rest[++i];
  }
  options.threads = Number(options.threads);
  let message;
  try {
    if (!tasks[task]) throw new Error(`unknown task '${task}'`);
    message = { ok: true, result: await tasks[task](options) };
  } catch (error) {
    message = { ok: false, reason: firstLine(error) };
  }
  const { user, system } = process.cpuUsage(); // every thread of this process, in microseconds
  const cpuSeconds = (user + system) / 1e6 + (message.result?.childCpuSeconds ?? 0);
  process.send({ ...message, cpuSeconds }, () => process.exit(0));
}

/** The machine's CPU time so far, busy and in all, in seconds summed over the CPUs, and the wall clock. */
export function cpuClock() {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const all = times.user + times.nice + times.sys + times.idle + times.irq;
    total += all;
    busy += all - times.idle;
  }
  return { busy: busy / 1000, total: total / 1000, wall: performance.now() / 1000 };
}

/**
 * The share of the machine's CPU time between two cpuClock() readings that went to anything but
 * the `ownCpuSeconds` of the processes measured: other work that slowed the figures down.
 */
export function otherWorkShare(start, end, ownCpuSeconds) {
  const total = end.total - start.total;
  return total > 0 ? Math.min(1, Math.max(0, (end.busy - start.busy - ownCpuSeconds) / total)) : 0;
}

/**
 * Parent side: runs `node script task ...args` and resolves with { ok, result | reason,
 * otherWork } (never rejects), otherWork being otherWorkShare over the task. A child that exits
 * without a message, or outlives `timeoutSeconds`, is a failure whose reason quotes the end of
 * its stderr.
 */
export function runPeerTask(script, task, args, { env = {}, timeoutSeconds = 3600 } = {}) {
  return new Promise((resolvePromise) => {
    const child = fork(script, [task, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let stderr = '';
    let message = null;
    let settled = false;
    const start = cpuClock();
    const finish = (outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const { cpuSeconds, ...rest } = outcome;
      resolvePromise(
        cpuSeconds === undefined ? rest : { ...rest, otherWork: otherWorkShare(start, cpuClock(), cpuSeconds) },
      );
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish({ ok: false, reason: `timed out after ${timeoutSeconds} s` });
    }, timeoutSeconds * 1000);
    child.stdout.resume();
    child.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    child.on('message', (m) => {
      message = m;
    });
    child.on('error', (error) => finish({ ok: false, reason: firstLine(error) }));
    child.on('exit', (code, signal) => {
      if (message) return finish(message);
      finish({ ok: false, reason: exitReason(code, signal, stderr) });
    });
  });
}

/** Why a process failed: its exit code or signal and the last line of its stderr that names an error. */
export function exitReason(code, signal, stderr) {
  const lines = stderr.trim().split('\n');
  const tail = lines.filter((line) => /error/i.test(line)).pop() ?? lines.pop();
  return `exited with ${signal ?? `code ${code}`}${tail ? `: ${tail.trim()}` : ''}`;
}

/** Share of the CPUs' time spent busy over the next `ms` (by other processes: this one sleeps). */
export async function cpuBusyShare(ms = 1000) {
  const start = cpuClock();
  await new Promise((resolvePromise) => setTimeout(resolvePromise, ms));
  return otherWorkShare(start, cpuClock(), 0);
}

/** The commit measured: { commit, branch, dirty } of the repository at `root`, or null outside git. */
export function gitState(root) {
  try {
    const git = (...args) =>
      execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return {
      commit: git('rev-parse', 'HEAD'),
      branch: git('rev-parse', '--abbrev-ref', 'HEAD'),
      dirty: git('status', '--porcelain', '--untracked-files=no') !== '',
    };
  } catch {
    return null;
  }
}

function firstLine(error) {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0];
}

// The inference fixture: the model's weights (Keras order and layouts), a batch of check images
// and convkit's outputs for them. Written once by the convkit peer, read by every peer.

const encode = (array) => Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString('base64');
const decode = (text) => {
  const bytes = Buffer.from(text, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};

/** fixture: { seed, weights: [{ shape, data }], check: { shape, data }, expected: { shape, data } } */
export function writeFixture(path, fixture) {
  const pack = ({ shape, data }) => ({ shape, data: encode(data) });
  writeFileSync(
    path,
    JSON.stringify({
      seed: fixture.seed,
      weights: fixture.weights.map(pack),
      check: pack(fixture.check),
      expected: pack(fixture.expected),
    }),
  );
}

export function readFixture(path) {
  const raw = JSON.parse(readFileSync(path, 'utf8'));
  const unpack = ({ shape, data }) => ({ shape, data: decode(data) });
  return { seed: raw.seed, weights: raw.weights.map(unpack), check: unpack(raw.check), expected: unpack(raw.expected) };
}

/** Outputs must agree with convkit's to this (absolute, on softmax probabilities) before timing. */
export const AGREEMENT_TOLERANCE = 1e-4;

/** The largest difference from convkit's outputs on the check images; throws past the tolerance. */
export function checkAgreement(outputs, fixture, who) {
  const diff = maxAbsDiff(outputs, fixture.expected.data);
  if (!(diff <= AGREEMENT_TOLERANCE)) {
    throw new Error(
      `${who}'s outputs differ from convkit's by up to ${diff.toExponential(2)} (tolerance ${AGREEMENT_TOLERANCE}), so it was not timed`,
    );
  }
  return diff;
}

/** The installed version of a peer package in bench/node_modules. */
export function peerVersion(name) {
  return JSON.parse(readFileSync(join(benchDir, 'node_modules', name, 'package.json'), 'utf8')).version;
}

export const IMAGE_SHAPE = [28, 28, 1];
const IMAGE_SIZE = 28 * 28;
export const TRAIN_BATCHES = [64, 128];
export const THROUGHPUT_BATCH = 256;

/** Random images in [0, 1) and labels i % 10: the same training batch for every peer. */
export function trainingBatch(batch) {
  return {
    images: seededUniform(batch * IMAGE_SIZE, 4242 + batch),
    labels: Int32Array.from({ length: batch }, (_, i) => i % 10),
  };
}

/** The inference inputs, NHWC: one image for latency, THROUGHPUT_BATCH images for throughput. */
export function inferenceInputs() {
  return {
    one: seededUniform(IMAGE_SIZE, 7),
    many: seededUniform(THROUGHPUT_BATCH * IMAGE_SIZE, 8),
  };
}
