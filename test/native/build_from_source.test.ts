// The source build's plumbing (the build itself runs in scripts/check-package.mjs, from the packed
// package: it takes a minute).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFromSource, findNodeGyp, localNodeDir } from '../../lib/native/build_from_source';

describe('findNodeGyp', () => {
  const dir = mkdtempSync(join(tmpdir(), 'convkit-node-gyp-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (...parts: string[]) => {
    const path = join(dir, ...parts);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, '');
    return path;
  };

  it('takes the node-gyp npm runs scripts with, then the one inside npm, then the one beside node', () => {
    const fromEnv = file('env', 'node-gyp.js');
    const insideNpm = file('npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    const besideNode = file('lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    const execPath = join(dir, 'bin', 'node');
    const npmExecpath = join(dir, 'npm', 'bin', 'npm-cli.js');
    expect(findNodeGyp({ npm_config_node_gyp: fromEnv, npm_execpath: npmExecpath }, execPath)).toBe(fromEnv);
    expect(findNodeGyp({ npm_execpath: npmExecpath }, execPath)).toBe(insideNpm);
    expect(findNodeGyp({}, execPath)).toBe(besideNode);
  });

  it('skips candidates that do not exist and finds none in an empty tree', () => {
    const empty = join(dir, 'empty', 'bin', 'node');
    expect(findNodeGyp({ npm_config_node_gyp: join(dir, 'missing.js') }, empty)).toBeUndefined();
  });

  it('finds npm\'s own node-gyp on this machine', () => {
    expect(findNodeGyp()).toMatch(/node-gyp\.js$/);
  });
});

describe('localNodeDir', () => {
  const dir = mkdtempSync(join(tmpdir(), 'convkit-nodedir-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the prefix of a Node whose headers are installed beside it, unless npm names one or on Windows', () => {
    mkdirSync(join(dir, 'include', 'node'), { recursive: true });
    writeFileSync(join(dir, 'include', 'node', 'node_api.h'), '');
    const execPath = join(dir, 'bin', 'node');
    expect(localNodeDir({}, execPath, 'linux')).toBe(join(dir, 'bin', '..'));
    expect(localNodeDir({ npm_config_nodedir: '/usr' }, execPath, 'linux')).toBeUndefined();
    expect(localNodeDir({}, execPath, 'win32')).toBeUndefined();
    expect(localNodeDir({}, join(dir, 'elsewhere', 'bin', 'node'), 'linux')).toBeUndefined();
  });
});

describe('buildFromSource', () => {
  it('refuses a folder that is not a convkit package, before running anything', () => {
    const dir = mkdtempSync(join(tmpdir(), 'convkit-not-a-package-'));
    try {
      expect(() => buildFromSource(dir)).toThrow(/neither .*binding\.gyp nor .*native.binding\.gyp exists/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
