// Compiles every native source for the platforms whose prebuilt addons are built elsewhere (macOS
// arm64 and x64, Windows x64 through MinGW) with Zig's clang and -Wall -Wextra -Werror, so a
// GCC-only or POSIX-only construct fails here, before a release runner meets it
// (`npm run check:portability`). Objects only: nothing is linked, and MSVC itself cannot run here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureZig } from './zig.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const { sourcesFor } = require('../../native/list-sources.js');

const targets = [
  { zig: 'aarch64-macos', arch: 'arm64' },
  { zig: 'x86_64-macos', arch: 'x64' },
  { zig: 'x86_64-windows-gnu', arch: 'x64' },
];

const cacheDir = join(root, 'node_modules', '.cache', 'convkit-prebuild');
const zig = ensureZig(cacheDir);
const out = mkdtempSync(join(tmpdir(), 'convkit-compile-check-'));
const common = [
  '-std=c++17',
  '-O1',
  '-Wall',
  '-Wextra',
  '-Wno-unused-parameter',
  '-Werror',
  '-DNAPI_VERSION=8',
  '-DNODE_ADDON_API_DISABLE_DEPRECATED',
  '-DNODE_ADDON_API_CPP_EXCEPTIONS',
  '-DNODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS',
  `-I${require('node-addon-api').include_dir}`,
  `-I${join(dirname(process.execPath), '..', 'include', 'node')}`,
  `-I${join(root, 'native')}`,
];
let failures = 0;
try {
  for (const target of targets) {
    const { sources, defines } = sourcesFor(target.arch);
    console.log(`== ${target.zig}: ${sources.length} files`);
    for (const { path, cflags } of sources) {
      const result = spawnSync(
        zig,
        [
          'c++',
          '-target',
          target.zig,
          ...common,
          ...defines.map((d) => `-D${d}`),
          ...cflags,
          '-c',
          join(root, path),
          '-o',
          join(out, `${basename(path)}.o`),
        ],
        { encoding: 'utf8', env: { ...process.env, ZIG_GLOBAL_CACHE_DIR: join(cacheDir, 'zig-cache') } },
      );
      if (result.status !== 0) {
        failures += 1;
        console.log(`${path}:\n${result.stderr}`);
      }
    }
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
if (failures > 0) throw new Error(`compile-check: ${failures} files failed`);
console.log('compile-check: every source compiles for macOS arm64/x64 and Windows x64 (MinGW)');
