// npm run test:asan [-- vitest file filters]: builds the addon with AddressSanitizer and
// UndefinedBehaviorSanitizer (CMakeLists.txt's CONVKIT_SANITIZE, into build-asan/ with cmake-js)
// and runs the native-facing tests against it. Node itself is not instrumented, so the sanitizer
// runtimes are preloaded (they must come before any instrumented library); leak detection is off
// because V8's own allocations would drown the report. Any memory error or undefined behaviour in
// the addon aborts the test process, which fails the run. The steps are in sanitizer-run.mjs.
import { join } from 'node:path';
import { root, sanitizerRun } from './sanitizer-run.mjs';

const buildDir = join(root, 'build-asan');
const addon = join(buildDir, 'Release', 'convkit.node');
/** The tests that drive the addon: kernels, binding, models, file loading, bad input, fuzzing. */
const defaultTests = ['test/native', 'test/binding', 'test/engine', 'test/io', 'test/reliability'];

const asan = sanitizerRun('test:asan');
asan.build(buildDir, ['CONVKIT_SANITIZE=address,undefined']);

const env = {
  ...process.env,
  CONVKIT_ADDON: addon,
  LD_PRELOAD: [asan.runtimeLibrary('libasan.so'), asan.runtimeLibrary('libubsan.so'), process.env.LD_PRELOAD]
    .filter(Boolean)
    .join(':'),
  // allocator_may_return_null: an impossible allocation throws std::bad_alloc (a RangeError in
  // JavaScript) as it does outside the sanitizer, instead of aborting.
  ASAN_OPTIONS: 'detect_leaks=0:allocator_may_return_null=1:abort_on_error=1:detect_stack_use_after_return=1',
  UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
};

asan.checkLoadedUnderRuntime(addon, env, 'ASAN_OPTIONS', 'AddressSanitizer');
console.log(`== vitest under AddressSanitizer + UBSan (CONVKIT_ADDON=${addon})`);
asan.runTestsAndExit(env, defaultTests);
