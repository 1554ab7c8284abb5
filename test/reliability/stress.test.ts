// A short run of the concurrency stress test (npm run stress): the main thread and two
// worker_threads hammer small models with a seeded random mix of calls, workers are terminated at
// random moments, and every outcome is checked against the model concurrency contract. The engine
// runs in a child process under scripts/stress.mjs, so a hang or a crash (segfault, abort) fails
// this test with its reason, exit code and stderr rather than taking the test runner down.
// Replay a failure with `npm run stress -- --seconds 20 --seed <seed>`.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const script = join(__dirname, '..', '..', 'scripts', 'stress.mjs');

interface StressResult {
  passed: boolean;
  seed: number;
  failures: string[];
  violations: string[];
  summary: { operations: number; ops: Record<string, number> } | null;
}

/** Runs the stress test; resolves with its result line (and its whole output, for the failure message). */
function stress(seed: number, seconds: number): Promise<{ result: StressResult | null; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [script, '--seconds', String(seconds), '--seed', String(seed), '--json'],
      { timeout: (seconds + 90) * 1000, maxBuffer: 16 * 2 ** 20 },
      (_error, stdout, stderr) => {
        const line = stdout.split('\n').find((l) => l.startsWith('STRESS_RESULT '));
        const report = stdout
          .split('\n')
          .filter((l) => l !== line)
          .join('\n');
        resolve({
          result: line ? (JSON.parse(line.slice('STRESS_RESULT '.length)) as StressResult) : null,
          output: `${report}\n${stderr}`,
        });
      },
    );
  });
}

describe('concurrency stress', () => {
  for (const [seed, seconds] of [
    [1, 20],
    [2, 10],
  ]) {
    it(
      `seed ${seed}, ${seconds} s: no hang, no crash, no contract violation`,
      async () => {
        const { result, output } = await stress(seed, seconds);
        expect(result, output).not.toBeNull();
        expect(result!.failures, output).toEqual([]);
        // The run did exercise the calls it is about.
        for (const kind of [
          'predict',
          'predictSync',
          'evaluate',
          'trainEpisode',
          'setWeights',
          'save',
          'predictor',
          'disposeEpisode',
        ]) {
          expect(result!.summary!.ops[kind] ?? 0, `${kind} operations`).toBeGreaterThan(0);
        }
      },
      (seconds + 120) * 1000,
    );
  }
});
