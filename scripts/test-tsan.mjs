// npm run test:tsan [-- vitest file filters]: builds the addon with ThreadSanitizer
// (CMakeLists.txt's CONVKIT_SANITIZE=thread, into build-tsan/ with cmake-js) and runs the tests
// that drive it from several threads (libuv workers, worker_threads, the kernels' thread pool)
// against it. Node is not instrumented, so libtsan is preloaded; the first report of a data race,
// lock-order inversion or the like ends the test process with exit code 66, which fails the run.
// Before the tests, a self-check proves that in exactly this setup a race in an addon is reported:
// race_probe.node (test/native/harness/race_probe.cc, built alongside with the same flags) races a
// libuv worker against the JavaScript thread and must be caught; its locked variant must not be.
import { spawnSync } from 'node:child_process';
import { machine } from 'node:os';
import { join } from 'node:path';
import { root, sanitizerRun } from './sanitizer-run.mjs';

const buildDir = join(root, 'build-tsan');
const addon = join(buildDir, 'Release', 'convkit.node');
const raceProbe = join(buildDir, 'Release', 'race_probe.node');
const reportExitCode = 66;
/** The tests that run the addon from several threads at once. */
const defaultTests = [
  'test/binding',
  'test/reliability',
  'test/serving',
  'test/engine',
  'test/native/thread_pool.test.ts',
];

// TSan maps its shadow memory at fixed addresses, which a randomized layout (many mmap_rnd_bits)
// may already occupy ("unexpected memory mapping"). setarch -R turns randomization off for one
// process tree without privileges; where a seccomp profile forbids that, run as is.
const aslrOff = ['setarch', machine(), '-R'];
const canTurnAslrOff = spawnSync(aslrOff[0], [...aslrOff.slice(1), 'true']).status === 0;
if (!canTurnAslrOff) console.log('== setarch -R is not permitted here: running with address randomization on');

const tsan = sanitizerRun('test:tsan', { launcher: canTurnAslrOff ? aslrOff : [] });
tsan.build(buildDir, ['CONVKIT_SANITIZE=thread', 'CONVKIT_RACE_PROBE=ON']);

const env = {
  ...process.env,
  CONVKIT_ADDON: addon,
  LD_PRELOAD: [tsan.runtimeLibrary('libtsan.so'), process.env.LD_PRELOAD].filter(Boolean).join(':'),
  // ignore_noninstrumented_modules: memory accesses that TSan sees only through its interceptors
  // (free, memcpy, pthread_mutex_destroy, ...) from code it does not instrument (node, V8, libuv,
  // vitest's native bundler) are not checked: that code synchronizes through atomics TSan cannot
  // see, so every such report is false. Each access of the instrumented addon is still checked,
  // and their locks still order everything.
  TSAN_OPTIONS: [
    `halt_on_error=1:exitcode=${reportExitCode}`,
    'second_deadlock_stack=1',
    'ignore_noninstrumented_modules=1',
  ].join(':'),
};

tsan.checkLoadedUnderRuntime(addon, env, 'TSAN_OPTIONS', 'ThreadSanitizer');

console.log('== self-check: a data race in an addon between a libuv worker and the JavaScript thread is caught');
/** Runs race_probe.node's writeFromBothThreads(locked) in a node process set up as the tests are. */
function runRaceProbe(locked) {
  const script = `require(${JSON.stringify(raceProbe)}).writeFromBothThreads(${locked}).then(() => console.log('probe finished'))`;
  return tsan.spawnNode(['-e', script], env, { capture: true });
}
const raced = runRaceProbe(false);
// The report must name the probe's write on the libuv worker (through node-addon-api's
// AsyncWorker) and on the JavaScript thread, and must have ended the process with the run's code.
const caught = [
  'WARNING: ThreadSanitizer: data race',
  'in incrementCounter',
  'AsyncWorker::OnExecute',
  'writeFromBothThreads',
];
if (raced.status !== reportExitCode || !caught.every((text) => raced.stderr.includes(text))) {
  tsan.fail(
    `the planted race was not reported as a failure (exit code ${raced.status}, expected ${reportExitCode}):\n${raced.stderr}`,
  );
}
const locked = runRaceProbe(true);
if (locked.status !== 0 || !locked.stdout.includes('probe finished')) {
  tsan.fail(`the race probe fails even with its writes locked (exit code ${locked.status}):\n${locked.stderr}`);
}

console.log(`== vitest under ThreadSanitizer (CONVKIT_ADDON=${addon})`);
tsan.runTestsAndExit(env, defaultTests);
