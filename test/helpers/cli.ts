// Runs the convkit command as users run it: `node dist/cjs/cli.js ...` from the repository root
// (needs `npm run build:ts`).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));
export const cliPath = join(repositoryRoot, 'dist', 'cjs', 'cli.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Exit code and output of `convkit ...args`, with the kernels on `threads` threads. */
export function runCli(args: string[], threads = 2): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd: repositoryRoot, env: { ...process.env, CONVKIT_NUM_THREADS: String(threads) },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
