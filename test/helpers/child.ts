// Runs Node in a child process: the convkit command (helpers/cli.ts), or a script that loads the
// built package (dist/, which npm test builds first) for tests whose failure would take the test
// runner down with it: a hang, a segfault, an abort. Scripts find the package at
// process.env.CONVKIT_ENTRY.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const packageEntry = join(__dirname, '..', '..', 'dist', 'cjs', 'index.js');

export interface ChildRun {
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Whether it was still running after timeoutMs (then killed). */
  timedOut: boolean;
}

/** `node ...args`, with `env` added to this process's environment; killed after timeoutMs, if given. */
export function runNode(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: options.cwd, env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** Runs `source` (node -e) with the package at process.env.CONVKIT_ENTRY. */
export function runChild(source: string, timeoutMs: number, env: NodeJS.ProcessEnv = {}): Promise<ChildRun> {
  return runNode(['-e', source], { env: { CONVKIT_ENTRY: packageEntry, ...env }, timeoutMs });
}

/** A one-line account of a run, for assertion messages. */
export function describeRun(run: ChildRun): string {
  const end = run.timedOut ? 'hung (killed)' : run.signal ? `killed by ${run.signal}` : `exit ${run.code}`;
  return `${end}\nstdout: ${run.stdout.slice(-2000)}\nstderr: ${run.stderr.slice(-2000)}`;
}
