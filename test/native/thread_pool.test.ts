// The thread pool's workers sleep when idle: after a parallel job they watch for the next one only
// briefly (runtime/thread_pool.h, kSpinBeforeSleeping), so a service that has answered its
// requests uses no CPU. Measured in a child process, whose CPU time is its own.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addonCandidates } from '../../lib/native/addon';

const addonPath = addonCandidates(join(__dirname, '..', '..')).find((path) => existsSync(path));

// Runs a convolution over 64 images on `threads` threads (a parallel job for every thread), then
// reports the process's CPU milliseconds during `idleMs` of doing nothing.
const childSource = `
const addon = require(process.env.ADDON);
addon.setThreads(Number(process.env.THREADS));
const batch = 64;
const params = { batch, inHeight: 13, inWidth: 13, inChannels: 32, outChannels: 64, kernelHeight: 3, kernelWidth: 3 };
const input = new Float32Array(batch * 13 * 13 * 32).fill(0.5);
const kernel = new Float32Array(9 * 32 * 64).fill(0.25);
const output = new Float32Array(batch * 11 * 11 * 64);
for (let i = 0; i < 20; i++) addon.kernels.conv2dForward(params, input, kernel, null, output);
const before = process.cpuUsage();
setTimeout(() => {
  const used = process.cpuUsage(before);
  console.log(JSON.stringify({ threads: addon.threads(), idleCpuMs: (used.user + used.system) / 1000, check: output[0] }));
}, Number(process.env.IDLE_MS));
`;

describe('thread pool', () => {
  it('uses no CPU once its jobs are done', () => {
    expect(addonPath, 'a built addon').toBeDefined();
    const idleMs = 400;
    const run = spawnSync(process.execPath, ['-e', childSource], {
      encoding: 'utf8',
      env: { ...process.env, ADDON: addonPath, THREADS: '3', IDLE_MS: String(idleMs) },
    });
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { threads: number; idleCpuMs: number; check: number };
    expect(report.threads).toBe(3);
    expect(report.check).toBeCloseTo(9 * 32 * 0.5 * 0.25, 3);
    // Two workers that never slept would use about 2 * idleMs; a brief watch, a few ms at most.
    expect(report.idleCpuMs).toBeLessThan(idleMs / 8);
  });
});
