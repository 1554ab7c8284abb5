// Where the prebuilt addons live inside the published package, in prebuildify's layout:
// prebuilds/<platform>-<arch>/convkit.napi[.<libc>].node. One file per OS, CPU architecture and C
// library serves every CPU of that architecture, as the kernels pick their instruction set at run
// time. Shared by the loader and by scripts/prebuild.mjs (which reads the compiled copy in dist/),
// so the two cannot disagree on a name. Nothing here loads the addon.
import { join } from 'node:path';

export type Libc = 'glibc' | 'musl';

/** The target a prebuilt addon is built for. `libc` is set on Linux only. */
export interface PrebuildTarget {
  platform: NodeJS.Platform;
  arch: string;
  libc?: Libc;
}

/** The C library this Linux process runs on: glibc reports its version in process.report, musl does not. */
export function runningLibc(): Libc {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime ? 'glibc' : 'musl';
}

/** The target of this process: its platform and architecture, and on Linux its C library. */
export function currentTarget(): PrebuildTarget {
  return process.platform === 'linux'
    ? { platform: process.platform, arch: process.arch, libc: runningLibc() }
    : { platform: process.platform, arch: process.arch };
}

/** A target's name, as the prebuild script and its messages spell it: linux-x64-glibc, darwin-arm64. */
export function targetName(target: PrebuildTarget): string {
  return [target.platform, target.arch, target.libc].filter(Boolean).join('-');
}

/** The prebuilt addon's path for `target` below the package root. */
export function prebuildPath(root: string, target: PrebuildTarget): string {
  const tags = ['napi', target.libc].filter(Boolean).join('.');
  return join(root, 'prebuilds', `${target.platform}-${target.arch}`, `convkit.${tags}.node`);
}
