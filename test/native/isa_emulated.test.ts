// The NEON GEMM and indirect GEMM (epilogue included), its Winograd transforms, max-pooling runs
// and depthwise window sums, on an x86 machine: cross-compiled with their own sources and run
// under qemu-aarch64, where both are installed (Debian: g++-aarch64-linux-gnu, qemu-user); skipped
// elsewhere. On arm64 hosts
// isa_gemm.test.ts and the other isa_* tests run NEON natively.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const compiler = 'aarch64-linux-gnu-g++';
const emulator = 'qemu-aarch64';
const available =
  process.arch === 'x64' &&
  [compiler, emulator].every((tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0);

describe.skipIf(!available)('NEON GEMM under qemu-aarch64 matches a float64 reference', () => {
  const dir = mkdtempSync(join(tmpdir(), 'convkit-neon-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('with every epilogue, transpose and ragged tile, through tap tables with padding and an offset, in the Winograd transforms, the max-pooling runs and the depthwise window sums', () => {
    const binary = join(dir, 'isa_check');
    const sources = ['gemm.cc', 'isa/neon.cc', 'isa/scalar.cc', 'isa/dispatch.cc'].map((file) =>
      join(root, 'native', 'kernels', file),
    );
    execFileSync(compiler, [
      '-std=c++17',
      '-O2',
      '-static',
      '-DCONVKIT_HAVE_NEON',
      `-I${join(root, 'native')}`,
      join(__dirname, 'harness', 'isa_check.cc'),
      ...sources,
      '-o',
      binary,
      '-lpthread',
    ]);
    const run = spawnSync(emulator, [binary], { encoding: 'utf8', env: { ...process.env, CONVKIT_ISA: 'neon' } });
    const report = JSON.parse(run.stdout) as {
      isa: string;
      values: number;
      mismatches: number;
      indirectValues: number;
      indirectMismatches: number;
      winogradValues: number;
      winogradMismatches: number;
      poolingValues: number;
      poolingMismatches: number;
      depthwiseValues: number;
      depthwiseMismatches: number;
    };
    expect(report.isa).toBe('neon');
    expect(report.values).toBeGreaterThan(400_000);
    expect(report.mismatches).toBe(0);
    expect(report.indirectValues).toBeGreaterThan(150_000);
    expect(report.indirectMismatches).toBe(0);
    expect(report.winogradValues).toBeGreaterThan(100_000);
    expect(report.winogradMismatches).toBe(0);
    expect(report.poolingValues).toBeGreaterThan(10_000);
    expect(report.poolingMismatches).toBe(0);
    expect(report.depthwiseValues).toBeGreaterThan(500);
    expect(report.depthwiseMismatches).toBe(0);
    expect(run.status).toBe(0);
  }, 120_000);
});
