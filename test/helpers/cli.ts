// Runs the convkit command as users run it: `node dist/cjs/cli.js ...` from the repository root
// (needs `npm run build:ts`).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runNode, type ChildRun } from './child';

export const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));
export const cliPath = join(repositoryRoot, 'dist', 'cjs', 'cli.js');

export type CliRun = Pick<ChildRun, 'code' | 'stdout' | 'stderr'>;

/** Exit code and output of `convkit ...args`, with the kernels on `threads` threads. */
export function runCli(args: string[], threads = 2): Promise<CliRun> {
  return runNode([cliPath, ...args], { cwd: repositoryRoot, env: { CONVKIT_NUM_THREADS: String(threads) } });
}
