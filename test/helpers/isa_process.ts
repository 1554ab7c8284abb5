// The parent end of the ISA tests (the child end is isa_child.cjs): runs a child script in a fresh
// Node process with CONVKIT_ISA set, on the addon this process loaded.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { addonCandidates } from '../../lib/native/addon';

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
    input: JSON.stringify(request), encoding: 'utf8', maxBuffer: 1 << 28,
    env: { ...process.env, CONVKIT_ISA: requestedIsa, CONVKIT_ADDON: addonPath },
  });
  return JSON.parse(output) as IsaChildReport<Results>;
}
