// The parent end of the ISA tests (the child end is isa_child.cjs): runs a child script in a fresh
// Node process with CONVKIT_ISA set, on the addon this process loaded.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { addonCandidates } from '../../lib/native/addon';
import { backendFunctions, type Isa } from '../../lib/native/kernel_registry';

export { decodeFloats, encodeFloats } from './isa_child.cjs';

const root = join(__dirname, '..', '..');

/** What a child prints: the ISA it ran (after any fallback) and its results, float arrays in base64. */
export interface IsaChildReport<Results> {
  isa: string;
  availableIsas: string[];
  results: Results;
}

/** Runs `script` with CONVKIT_ISA = requestedIsa, `request` as JSON on its stdin, and returns its report. */
export function runIsaChild<Results>(script: string, requestedIsa: string, request: unknown): IsaChildReport<Results> {
  const addonPath = addonCandidates(root).find((path) => existsSync(path));
  if (!addonPath) throw new Error('no built addon');
  const output = execFileSync(process.execPath, [script], {
    input: JSON.stringify(request),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: { ...process.env, CONVKIT_ISA: requestedIsa, CONVKIT_ADDON: addonPath },
  });
  return JSON.parse(output) as IsaChildReport<Results>;
}

/** Every ISA the registry knows, whether or not this CPU runs it. */
export const allIsas: Isa[] = ['scalar', 'avx2', 'avx512', 'neon'];

/**
 * For each ISA (skipped where this CPU lacks it): a describe block `${title} with CONVKIT_ISA=isa`
 * that runs the ISA's child once, checks that the child ran the requested ISA, and hands the
 * child's report (through a getter, as it exists only once the block runs) to `body`, which adds
 * the block's tests.
 */
export function describeEachIsa<Report extends IsaChildReport<unknown>>(
  title: string,
  runChild: (isa: Isa) => Report,
  body: (isa: Isa, report: () => Report) => void,
): void {
  const available = backendFunctions.availableIsas();
  for (const isa of allIsas) {
    describe.skipIf(!available.includes(isa))(`${title} with CONVKIT_ISA=${isa}`, () => {
      let report: Report;
      beforeAll(() => {
        report = runChild(isa);
      });

      it('runs the requested ISA', () => {
        expect(report.isa).toBe(isa);
        expect(report.availableIsas).toEqual(available);
      });

      body(isa, () => report);
    });
  }
}
