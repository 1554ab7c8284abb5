// Loads the compiled addon. This directory (lib/native/) is the only place that touches it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package_root';

/**
 * Where a built addon may be, in order: CONVKIT_ADDON (an explicit path, e.g. a sanitizer build),
 * node-gyp release, node-gyp debug, cmake-js.
 */
export function addonCandidates(root: string, env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.CONVKIT_ADDON) return [env.CONVKIT_ADDON];
  return [
    join(root, 'build', 'Release', 'convkit.node'),
    join(root, 'build', 'Debug', 'convkit.node'),
    join(root, 'build-cmake', 'Release', 'convkit.node'),
    join(root, 'build-cmake', 'convkit.node'),
  ];
}

/** The error thrown when no candidate loads: what was tried, on what, and how to fix it. */
export function loadFailure(tried: { path: string; error: string }[]): Error {
  const lines = [
    'convkit: could not load the native addon.',
    `Platform: ${process.platform}-${process.arch}, Node ${process.version} (Node-API ${process.versions.napi ?? '?'})`,
    'Tried:',
    ...tried.map(({ path, error }) => `  - ${path}: ${error}`),
    'Possible solutions:',
    '  - Build it from source: `npm rebuild convkit` (needs Python 3, make and a C++17 compiler:',
    '    build-essential on Debian/Ubuntu, `apk add build-base python3` on Alpine, Xcode command',
    '    line tools on macOS, Visual Studio Build Tools with "Desktop development with C++" on Windows).',
    '  - If npm was run with --ignore-scripts, the install step that compiles the addon was skipped.',
    '  - npm 11 runs a dependency\'s install script only when the project allows it:',
    '    `npm install-scripts approve convkit`, then `npm rebuild convkit`.',
    '  - Node >= 20 is required.',
  ];
  return new Error(lines.join('\n'));
}

function loadAddon(): unknown {
  const root = packageRoot();
  const tried: { path: string; error: string }[] = [];
  for (const path of addonCandidates(root)) {
    if (!existsSync(path)) {
      tried.push({ path, error: 'not found' });
      continue;
    }
    try {
      return require(path);
    } catch (error) {
      tried.push({ path, error: error instanceof Error ? error.message : String(error) });
    }
  }
  throw loadFailure(tried);
}

export const addon: unknown = loadAddon();
