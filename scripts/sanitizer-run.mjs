// What the sanitizer test runs (scripts/test-asan.mjs, scripts/test-tsan.mjs) share: the cmake-js
// build of the addon with CMakeLists.txt's CONVKIT_SANITIZE, the lookup of the compiler's runtime
// libraries (Node itself is not instrumented, so they are preloaded), the probe that the
// instrumented addon is the one loaded under an active runtime, and the vitest run with timings.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/**
 * One sanitizer run, named by its npm script (e.g. 'test:tsan') in its messages. `launcher` is a
 * command prefix for every process that loads the addon (e.g. setarch to turn ASLR off).
 */
export function sanitizerRun(name, { launcher = [] } = {}) {
  const started = Date.now();
  let built = started;

  function fail(message) {
    console.error(`${name}: ${message}`);
    process.exit(1);
  }

  if (process.platform !== 'linux') fail('runs on Linux only (it preloads the sanitizer runtimes with LD_PRELOAD)');

  /** Runs node with `args` through the launcher; the output is captured when `capture` is set. */
  function spawnNode(args, env, { capture = false } = {}) {
    const [command, ...prefix] = [...launcher, process.execPath];
    const result = spawnSync(command, [...prefix, ...args], {
      cwd: root,
      env,
      encoding: 'utf8',
      stdio: capture ? 'pipe' : 'inherit',
    });
    if (result.error) fail(`${command} ${args.join(' ')}: ${result.error.message}`);
    return result;
  }

  return {
    fail,
    spawnNode,

    /** The compiler's runtime library, e.g. /usr/lib/gcc/x86_64-linux-gnu/12/libtsan.so. */
    runtimeLibrary(library) {
      const compiler = process.env.CXX || 'c++';
      let path = '';
      try {
        path = execFileSync(compiler, [`-print-file-name=${library}`], { encoding: 'utf8' }).trim();
      } catch (error) {
        fail(`cannot run ${compiler} to find ${library}: ${error.message}`);
      }
      // A compiler without the library echoes the bare name back.
      if (!isAbsolute(path) || !existsSync(path)) {
        fail(
          `${compiler} has no ${library} (got '${path}'); install the sanitizer runtime (gcc: libasan, libubsan, libtsan) or set CXX`,
        );
      }
      return path;
    },

    /** Builds the addon (and whatever else `defines` turn on) into `buildDir` with cmake-js. */
    build(buildDir, defines) {
      console.log(`== building the addon with ${defines.join(' ')} into ${buildDir}`);
      const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
      // configure, then build: 'cmake-js compile' on an existing build folder would only build,
      // keeping whatever defines it was first configured with.
      const configure = [cmakeJs, 'configure', '--out', buildDir, ...defines.map((define) => `--CD${define}`)];
      for (const args of [configure, [cmakeJs, 'build', '--out', buildDir]]) {
        if (spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' }).status !== 0) fail(`${args[1]} failed`);
      }
      built = Date.now();
    },

    /**
     * The run means nothing unless the instrumented addon is the one loaded, under an active
     * runtime: with verbosity=1 in `optionsVariable` the runtime announces itself as `runtime`.
     */
    checkLoadedUnderRuntime(addon, env, optionsVariable, runtime) {
      const verbose = { ...env, [optionsVariable]: `${env[optionsVariable]}:verbosity=1` };
      const probe = spawnNode(['-e', `require(${JSON.stringify(addon)})`], verbose, { capture: true });
      if (probe.status !== 0 || !probe.stderr.includes(runtime)) {
        fail(`the sanitizer build does not load under the preloaded runtime:\n${probe.stderr}`);
      }
    },

    /** Runs vitest on the command line's test filters, or `defaultTests`, and exits with its status. */
    runTestsAndExit(env, defaultTests) {
      const tests = process.argv.slice(2);
      const vitest = join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs');
      // --reporter=default: leave test-results/vitest.json (the main run's summary) alone.
      const { status } = spawnNode(
        [vitest, 'run', '--reporter=default', ...(tests.length > 0 ? tests : defaultTests)],
        env,
      );
      const seconds = (ms) => `${(ms / 1000).toFixed(0)} s`;
      console.log(
        `== ${name} ${status === 0 ? 'passed' : 'FAILED'}: build ${seconds(built - started)}, tests ${seconds(Date.now() - built)}`,
      );
      process.exit(status ?? 1);
    },
  };
}
