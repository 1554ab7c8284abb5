// Loads the compiled addon. This directory (lib/native/) is the only place that touches it.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package_root';
import { currentTarget, prebuildPath, targetName, type PrebuildTarget } from './prebuilds';

/**
 * Where an addon may be, in order: CONVKIT_ADDON (an explicit path, e.g. a sanitizer build); a
 * build from source (node-gyp release, node-gyp debug, cmake-js), so that a clone or a package
 * rebuilt with `convkit build-native` runs what it compiled; then the prebuilt addon the package
 * ships for this platform, architecture and C library.
 */
export function addonCandidates(
  root: string,
  env: NodeJS.ProcessEnv = process.env,
  target: PrebuildTarget = currentTarget(),
): string[] {
  if (env.CONVKIT_ADDON) return [env.CONVKIT_ADDON];
  return [
    join(root, 'build', 'Release', 'convkit.node'),
    join(root, 'build', 'Debug', 'convkit.node'),
    join(root, 'build-cmake', 'Release', 'convkit.node'),
    join(root, 'build-cmake', 'convkit.node'),
    prebuildPath(root, target),
  ];
}

/** The error thrown when no candidate loads: what was tried, on what, and how to fix it. */
export function loadFailure(
  tried: { path: string; error: string }[],
  shipped: string[],
  target: PrebuildTarget = currentTarget(),
): Error {
  const lines = [
    'convkit: could not load the native addon.',
    `Target: ${targetName(target)}, Node ${process.version} (Node-API ${process.versions.napi ?? '?'})`,
    'Tried:',
    ...tried.map(({ path, error }) => `  - ${path}: ${error}`),
    shipped.length > 0
      ? `The package's prebuilt addons: ${shipped.join(', ')}.`
      : 'This copy of the package has no prebuilt addons (a clone, or a package packed without them).',
    'Elsewhere, or if the prebuilt one does not load, build it from source with',
    '    npx convkit build-native',
    'which needs Python 3, make and a C++17 compiler: build-essential on Debian/Ubuntu,',
    '`apk add build-base python3 linux-headers` on Alpine, the Xcode command line tools on macOS,',
    'Visual Studio Build Tools with "Desktop development with C++" on Windows. Node >= 20 is required.',
  ];
  return new Error(lines.join('\n'));
}

function loadAddon(): { addon: unknown; path: string } {
  const root = packageRoot();
  const tried: { path: string; error: string }[] = [];
  for (const path of addonCandidates(root)) {
    if (!existsSync(path)) {
      tried.push({ path, error: 'not found' });
      continue;
    }
    try {
      return { addon: require(path), path };
    } catch (error) {
      tried.push({ path, error: error instanceof Error ? error.message : String(error) });
    }
  }
  throw loadFailure(tried, shippedPrebuilds(root));
}

/** The prebuilt addons present, as prebuilds/<platform>-<arch>/<file> names. */
function shippedPrebuilds(root: string): string[] {
  const dir = join(root, 'prebuilds');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((platform) => readdirSync(join(dir, platform)).map((file) => `${platform}/${file}`));
}

const loaded = loadAddon();
export const addon: unknown = loaded.addon;
/** The file the addon was loaded from (reported by backendInfo). */
export const addonPath: string = loaded.path;
