// Builds the addon from source with node-gyp: `convkit build-native` for platforms without a
// prebuilt addon, and scripts/prebuild.mjs for the prebuilt ones. Nothing here loads the addon, so
// it works when no addon can load.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * node-gyp's script: the one npm runs lifecycle scripts with (npm_config_node_gyp, set under npm
 * and npx), else the one bundled with the npm beside this Node, else none. Using npm's own copy
 * means no download, and the Node headers npm is configured with (npm_config_nodedir).
 */
export function findNodeGyp(env: NodeJS.ProcessEnv = process.env, execPath = process.execPath): string | undefined {
  const nodeDir = dirname(execPath);
  const candidates = [
    env.npm_config_node_gyp,
    env.npm_execpath && join(dirname(env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(nodeDir, '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(nodeDir, 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((path): path is string => Boolean(path) && existsSync(path as string));
}

/**
 * The install prefix of this Node when its headers are installed beside it (Linux distributions'
 * packages and the official Linux and macOS tarballs carry include/node), so node-gyp builds
 * against them instead of downloading them; undefined where npm already names a nodedir, on
 * Windows (node-gyp also needs node.lib there) or without the headers.
 */
export function localNodeDir(env: NodeJS.ProcessEnv = process.env, execPath = process.execPath,
  platform: NodeJS.Platform = process.platform): string | undefined {
  if (env.npm_config_nodedir || platform === 'win32') return undefined;
  const prefix = join(dirname(execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

export interface NodeGypRun {
  /** The directory holding binding.gyp; its build/ receives the result. */
  cwd: string;
  /** node-gyp's --arch (a cross build), when not the running Node's. */
  arch?: string;
  /** Extra environment: CC, CXX, AR, LINK and LDFLAGS for a cross toolchain. */
  env?: NodeJS.ProcessEnv;
}

/** Runs `node-gyp rebuild` and returns the built addon's path; throws with node-gyp's exit status. */
export function nodeGypRebuild(run: NodeGypRun): string {
  const nodeGyp = findNodeGyp();
  if (!nodeGyp) {
    throw new Error('convkit: node-gyp was not found beside npm; install it (`npm install -g node-gyp`) and retry');
  }
  const nodeDir = localNodeDir();
  const args = [nodeGyp, 'rebuild', `--jobs=max`, ...(run.arch ? [`--arch=${run.arch}`] : []),
    ...(nodeDir ? [`--nodedir=${nodeDir}`] : [])];
  const result = spawnSync(process.execPath, args, { cwd: run.cwd, stdio: 'inherit', env: { ...process.env, ...run.env } });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`convkit: node-gyp rebuild failed (exit status ${result.status}) in ${run.cwd}`);
  return join(run.cwd, 'build', 'Release', 'convkit.node');
}

/**
 * Builds the addon from source into <root>/build/Release, where the loader looks before the
 * prebuilt one. A clone has binding.gyp at its top level; the published package carries it as
 * native/binding.gyp instead (a binding.gyp at a package's top level makes package managers run
 * node-gyp at install time), so it is put in place for the build and removed afterwards.
 */
export function buildFromSource(root: string): string {
  const topLevel = join(root, 'binding.gyp');
  if (existsSync(topLevel)) return nodeGypRebuild({ cwd: root });
  const shipped = join(root, 'native', 'binding.gyp');
  if (!existsSync(shipped)) throw new Error(`convkit: neither ${topLevel} nor ${shipped} exists; is this a convkit package?`);
  copyFileSync(shipped, topLevel);
  try {
    return nodeGypRebuild({ cwd: root });
  } finally {
    rmSync(topLevel, { force: true });
  }
}
