// The published entry points: CommonJS and ES modules expose the same API from one instance.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as convkit from '../lib';

const root = join(__dirname, '..');

function runNode(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();
}

describe('package entry points', () => {
  it('require("convkit") and import "convkit" export the same names', () => {
    const cjs = JSON.parse(runNode(['-e', 'console.log(JSON.stringify(Object.keys(require("convkit")).sort()))']));
    const esm = JSON.parse(
      runNode([
        '--input-type=module',
        '-e',
        'import * as ck from "convkit"; console.log(JSON.stringify(Object.keys(ck).filter((k) => k !== "default" && k !== "__esModule").sort()))',
      ]),
    );
    expect(cjs.length).toBeGreaterThan(0);
    expect(esm).toEqual(cjs);
    expect(cjs).toEqual(Object.keys(convkit).sort());
  });

  it('reports the backend and a version that matches package.json', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(convkit.version).toBe(manifest.version);
    const info = convkit.backendInfo();
    expect(info.napiVersion).toBe(8);
    expect(info.threads).toBeGreaterThanOrEqual(1);
  });

  it('keeps the bundled data set out of the published files', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(manifest.files.some((entry: string) => entry.startsWith('data'))).toBe(false);
  });
});
