// Training allocates nothing natively once warm: every buffer a step needs is sized by the first
// steps and reused. Checked by counting, with a preloaded malloc (allocations/), the allocations
// whose stack passes through the addon in runs of 3 and of 8 training steps. libuv is held to one
// thread, since each thread that runs a step sizes its own thread-local scratch once. On one
// kernel thread the counts must be equal; on two, which thread runs which chunk varies, so a
// thread may size a scratch buffer in a later step, but never in every step.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { underSanitizer } from '../helpers/sanitizer';

const here = fileURLToPath(new URL('./allocations/', import.meta.url));
// A sanitizer's runtime must come first in LD_PRELOAD and intercepts malloc itself: no counting.

describe.skipIf(process.platform !== 'linux' || underSanitizer)('native allocations while training', () => {
  const directory = mkdtempSync(join(tmpdir(), 'convkit-allocations-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  const counter = join(directory, 'count_addon_mallocs.so');

  function addonMallocs(steps: number, threads: number): number {
    const run = spawnSync(process.execPath, [join(here, 'train_steps.cjs'), String(steps), String(threads)], {
      env: { ...process.env, LD_PRELOAD: counter, UV_THREADPOOL_SIZE: '1' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const count = /addon mallocs: (\d+)/.exec(run.stderr);
    expect(count, run.stderr).not.toBeNull();
    return Number(count![1]);
  }

  it('makes the same native allocations in 3 training steps as in 8 on one thread, and at most 2 more on two', () => {
    execFileSync(process.env.CC ?? 'cc', [
      '-O2',
      '-shared',
      '-fPIC',
      '-o',
      counter,
      join(here, 'count_addon_mallocs.c'),
      '-ldl',
    ]);
    const short = addonMallocs(3, 1);
    // The control: building the network does allocate, and the counter sees it.
    expect(short).toBeGreaterThan(10);
    expect(addonMallocs(8, 1)).toBe(short);
    const shortOnTwo = addonMallocs(3, 2);
    expect(addonMallocs(8, 2) - shortOnTwo).toBeLessThanOrEqual(2);
  }, 240_000);
});
