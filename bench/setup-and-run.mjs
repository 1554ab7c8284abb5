// npm run bench [-- options]: installs the benchmark's peers into bench/node_modules on first use
// (they are bench/package.json's dependencies, never convkit's), then runs bench/run.mjs.
// A failed install is not fatal: run.mjs reports the peers it cannot load as unavailable.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = join(benchDir, '..');

function installedVersion(name) {
  try {
    return JSON.parse(readFileSync(join(benchDir, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

/** Newest modification time (ms) of the files under `dir` whose names pass `keep`. */
function newestMtime(dir, keep) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && keep(entry.name))
      newest = Math.max(newest, statSync(join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
  }
  return newest;
}

// `npm run bench --quick` (no `--` before the options) hands them to npm, which keeps them as
// npm_config_* variables and passes their values on as loose arguments: stop with the right form.
const swallowed = ['threads', 'quick', 'peers'].filter((option) => process.env[`npm_config_${option}`] !== undefined);
if (swallowed.length > 0) {
  console.error(
    `bench: npm took ${swallowed.map((o) => `--${o}`).join(', ')} as its own option; put \`--\` before the ` +
      `benchmark's options: npm run bench -- ${swallowed.map((o) => (o === 'quick' ? '--quick' : `--${o} ...`)).join(' ')}`,
  );
  process.exit(2);
}

// convkit itself must be built: the benchmark measures dist/ and build/, not the sources.
const library = join(root, 'dist', 'cjs', 'index.js');
const addon = process.env.CONVKIT_ADDON ?? join(root, 'build', 'Release', 'convkit.node');
if (!existsSync(library) || !existsSync(addon)) {
  console.error(`bench: build convkit first (npm run build): ${existsSync(library) ? addon : library} is missing`);
  process.exit(1);
}
if (newestMtime(join(root, 'lib'), (name) => name.endsWith('.ts')) > statSync(library).mtimeMs) {
  console.warn('bench: warning: lib/ is newer than dist/; run `npm run build:ts` to measure the current sources');
}
if (
  !process.env.CONVKIT_ADDON &&
  newestMtime(join(root, 'native'), (name) => /\.(cc|h|txt)$/.test(name)) > statSync(addon).mtimeMs
) {
  console.warn(
    'bench: warning: native/ is newer than the addon; run `npm run build:native` to measure the current sources',
  );
}

const { dependencies } = JSON.parse(readFileSync(join(benchDir, 'package.json'), 'utf8'));
const missing = Object.entries(dependencies).filter(([name, version]) => installedVersion(name) !== version);
if (missing.length > 0) {
  console.log(
    `bench: installing the peers into bench/node_modules (${missing.map(([name, version]) => `${name}@${version}`).join(', ')})`,
  );
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const install = spawnSync(npm, ['--prefix', benchDir, 'install', '--no-audit', '--no-fund'], {
    stdio: 'inherit',
    shell: process.platform === 'win32',
    // onnxruntime-node's install script would otherwise try to download CUDA libraries.
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
  });
  if (install.status !== 0) {
    console.warn(
      `bench: npm install in bench/ failed (${install.error?.message ?? `exit ${install.status}`}); ` +
        'the peers that did not install are reported as unavailable',
    );
  }
}

const run = spawnSync(process.execPath, [join(benchDir, 'run.mjs'), ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(run.status ?? 1);
