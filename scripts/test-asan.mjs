// npm run test:asan [-- vitest file filters]: builds the addon with AddressSanitizer and
// UndefinedBehaviorSanitizer (CMakeLists.txt's CONVKIT_SANITIZE, into build-asan/ with cmake-js)
// and runs the native-facing tests against it. Node itself is not instrumented, so the sanitizer
// runtimes are preloaded (they must come before any instrumented library); leak detection is off
// because V8's own allocations would drown the report. Any memory error or undefined behaviour in
// the addon aborts the test process, which fails the run.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const buildDir = join(root, 'build-asan');
const addon = join(buildDir, 'Release', 'convkit.node');
/** The tests that drive the addon: kernels, binding, models, file loading, bad input, fuzzing. */
const defaultTests = ['test/native', 'test/binding', 'test/engine', 'test/io', 'test/reliability'];

function fail(message) {
  console.error(`test:asan: ${message}`);
  process.exit(1);
}

/** The compiler's runtime library, e.g. /usr/lib/gcc/x86_64-linux-gnu/12/libasan.so. */
function runtimeLibrary(name) {
  const compiler = process.env.CXX || 'c++';
  let path = '';
  try {
    path = execFileSync(compiler, [`-print-file-name=${name}`], { encoding: 'utf8' }).trim();
  } catch (error) {
    fail(`cannot run ${compiler} to find ${name}: ${error.message}`);
  }
  // A compiler without the library echoes the bare name back.
  if (!isAbsolute(path) || !existsSync(path)) {
    fail(`${compiler} has no ${name} (got '${path}'); install the sanitizer runtime (gcc: libasan and libubsan) or set CXX`);
  }
  return path;
}

function run(command, args, env = process.env) {
  const result = spawnSync(command, args, { cwd: root, env, stdio: 'inherit' });
  if (result.error) fail(`${command} ${args.join(' ')}: ${result.error.message}`);
  return result.status ?? 1;
}

if (process.platform !== 'linux') fail('runs on Linux only (it preloads the sanitizer runtimes with LD_PRELOAD)');
const started = Date.now();

console.log('== building the addon with -fsanitize=address,undefined into build-asan/');
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
if (run(process.execPath, [cmakeJs, 'compile', '--out', buildDir, '--CDCONVKIT_SANITIZE=address,undefined']) !== 0) fail('the build failed');
const built = Date.now();

const env = {
  ...process.env,
  CONVKIT_ADDON: addon,
  LD_PRELOAD: [runtimeLibrary('libasan.so'), runtimeLibrary('libubsan.so'), process.env.LD_PRELOAD].filter(Boolean).join(':'),
  // allocator_may_return_null: an impossible allocation throws std::bad_alloc (a RangeError in
  // JavaScript) as it does outside the sanitizer, instead of aborting.
  ASAN_OPTIONS: 'detect_leaks=0:allocator_may_return_null=1:abort_on_error=1:detect_stack_use_after_return=1',
  UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
};

// The run means nothing unless the instrumented addon is the one loaded, under an active runtime.
const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(addon)})`], {
  env: { ...env, ASAN_OPTIONS: `${env.ASAN_OPTIONS}:verbosity=1` }, encoding: 'utf8',
});
if (probe.status !== 0 || !probe.stderr.includes('AddressSanitizer')) {
  fail(`the sanitizer build does not load under the preloaded runtime:\n${probe.stderr}`);
}

const tests = process.argv.slice(2);
console.log(`== vitest under AddressSanitizer + UBSan (CONVKIT_ADDON=${addon})`);
const vitest = join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs');
// --reporter=default: leave test-results/vitest.json (the main run's summary) alone.
const status = run(process.execPath, [vitest, 'run', '--reporter=default', ...(tests.length > 0 ? tests : defaultTests)], env);
const seconds = (ms) => `${(ms / 1000).toFixed(0)} s`;
console.log(`== test:asan ${status === 0 ? 'passed' : 'FAILED'}: build ${seconds(built - started)}, tests ${seconds(Date.now() - built)}`);
process.exit(status);
