// `convkit build-native`: compiles the addon from this package's sources for this machine, where
// no prebuilt addon fits (macOS, Windows, other CPUs) or the prebuilt one does not load.
import { spawnSync } from 'node:child_process';
import { buildFromSource } from '../native/build_from_source';
import { packageRoot } from '../package_root';

export function buildNativeCommand(args: string[]): number {
  if (args.length > 0) throw new RangeError(`build-native takes no arguments, got '${args.join(' ')}'`);
  const path = buildFromSource(packageRoot());
  // Loaded in a fresh process, as this one's loader would: a build that links but cannot load
  // (a missing symbol) fails here rather than at the user's first require.
  const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(path)})`], { encoding: 'utf8' });
  if (probe.status !== 0) throw new Error(`the addon built at ${path} does not load:\n${probe.stderr}`);
  console.log(`convkit: built ${path}; convkit loads it ahead of any prebuilt addon (backendInfo().addonPath)`);
  return 0;
}
