// Builds the prebuilt addons the published package carries (npm's prepack runs it, so `npm pack`
// makes the tarball users get), in prebuildify's layout: prebuilds/<platform>-<arch>/convkit.napi[.<libc>].node.
//   npm run build:prebuilds                   every Linux target, cross-compiled with Zig (linux-x64 host)
//   node scripts/prebuild.mjs linux-arm64-glibc    the named targets only
//   node scripts/prebuild.mjs --host          this machine's target with its own compiler (the
//                                             macOS and Windows runners of .github/workflows/prebuild.yml)
// The same binding.gyp as a build from source, through npm's node-gyp; each target builds in its
// own folder under build-prebuilds/, so a contributor's build/ is left alone. Every Linux binary is
// checked (scripts/prebuild/elf.mjs) before it is kept. Also writes native/binding.gyp, the copy of
// binding.gyp that `convkit build-native` builds from in an installed package.
import { copyFileSync, existsSync, mkdirSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkElf } from './prebuild/elf.mjs';
import { ensureZig } from './prebuild/zig.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const compiled = join(root, 'dist', 'cjs', 'native');
if (!existsSync(join(compiled, 'prebuilds.js')))
  throw new Error('prebuild: run `npm run build:ts` first (it reads dist/cjs/native)');
const { currentTarget, prebuildPath, targetName } = require(join(compiled, 'prebuilds.js'));
const { nodeGypRebuild } = require(join(compiled, 'build_from_source.js'));

// What Zig builds from a linux-x64 host. glibc 2.17 is the oldest Zig 0.11 links against, and
// older than any distribution Node 20 itself runs on.
const crossTargets = [
  { platform: 'linux', arch: 'x64', libc: 'glibc', zig: 'x86_64-linux-gnu.2.17', glibcFloor: '2.17' },
  { platform: 'linux', arch: 'arm64', libc: 'glibc', zig: 'aarch64-linux-gnu.2.17', glibcFloor: '2.17' },
  { platform: 'linux', arch: 'x64', libc: 'musl', zig: 'x86_64-linux-musl' },
];

function zigEnvironment(zig, target, cacheDir) {
  const tool = (command) => `${zig} ${command} -target ${target.zig}`;
  return {
    CC: tool('cc'),
    CXX: tool('c++'),
    LINK: tool('c++'),
    AR: `${zig} ar`,
    LDFLAGS: '-s', // strip: the symbols are 16 MB of the 17.5 MB binary
    ZIG_GLOBAL_CACHE_DIR: cacheDir,
    ZIG_LOCAL_CACHE_DIR: cacheDir,
  };
}

/** A folder that looks like the package root to node-gyp (binding.gyp, native/), with its own build/. */
function stagingFolder(name) {
  const dir = join(root, 'build-prebuilds', name);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(root, 'binding.gyp'), join(dir, 'binding.gyp'));
  if (!existsSync(join(dir, 'native'))) symlinkSync(join(root, 'native'), join(dir, 'native'), 'junction');
  return dir;
}

function build(target, env) {
  const name = targetName(target);
  console.log(`\nprebuild: ${name}`);
  const built = nodeGypRebuild({ cwd: stagingFolder(name), arch: target.arch, env });
  const destination = prebuildPath(root, target);
  mkdirSync(dirname(destination), { recursive: true });
  copyFileSync(built, destination);
  const elf = target.platform === 'linux' ? checkElf(destination, target) : undefined;
  return { name, path: relative(root, destination), bytes: statSync(destination).size, elf };
}

const args = process.argv.slice(2);
const results = [];
copyFileSync(join(root, 'binding.gyp'), join(root, 'native', 'binding.gyp'));
if (args.includes('--host')) {
  if (process.platform === 'linux')
    throw new Error('prebuild: the Linux prebuilds are cross-built with Zig for their glibc floor; run without --host');
  results.push(build(currentTarget(), {}));
} else {
  const wanted = args.length > 0 ? args : crossTargets.map(targetName);
  const unknown = wanted.filter((name) => !crossTargets.some((target) => targetName(target) === name));
  if (unknown.length > 0)
    throw new Error(
      `prebuild: unknown target ${unknown.join(', ')} (known: ${crossTargets.map(targetName).join(', ')})`,
    );
  const cacheDir = join(root, 'node_modules', '.cache', 'convkit-prebuild');
  const zig = ensureZig(cacheDir);
  for (const target of crossTargets.filter((t) => wanted.includes(targetName(t)))) {
    results.push(build(target, zigEnvironment(zig, target, join(cacheDir, 'zig-cache'))));
  }
}

console.log('\nprebuild: done');
for (const { name, path, bytes, elf } of results) {
  const needs = elf ? `, needs ${elf.glibc ? `GLIBC_${elf.glibc}` : elf.needed.join(' ')}` : '';
  console.log(`  ${name.padEnd(18)} ${path}  ${(bytes / 1e6).toFixed(2)} MB${needs}`);
}
