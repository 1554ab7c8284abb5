// Fault injection into node:fs/promises, to fail a save at each of its file operations in turn.
// A test file mocks the module with the operations wrapped:
//   vi.mock('node:fs/promises', async (original) => (await import('../helpers/fs_faults')).faultyFs(await original()));
// While armed, every open, writeFile, sync and close (of a file or directory handle), rename, rm
// and mkdir is a numbered step, recorded as `operation name` (temporary suffixes and random hex
// tags replaced by `tmp` and `*`, so runs compare). The step `failAt` throws the given error, and
// a failing writeFile first writes half its data, as a disk filling up does. With `crash`, every
// later step fails too: nothing after that point reaches the disk, cleanup included.
import type * as Fs from 'node:fs/promises';
import { basename } from 'node:path';

interface Plan {
  failAt?: number;
  crash?: boolean;
  error?: Error;
}

let plan: Plan | null = null;

/** The steps of the armed run so far. */
export const steps: string[] = [];

export function arm(next: Plan = {}): void {
  steps.length = 0;
  plan = next;
}

export function disarm(): void {
  plan = null;
}

/** An error as the operation would report it: ENOSPC for a write, EIO otherwise. */
export function injectedError(step: string): Error {
  const code = step.startsWith('writeFile') ? 'ENOSPC' : 'EIO';
  return Object.assign(new Error(`${code}: injected failure at '${step}'`), { code });
}

const label = (path: unknown) =>
  basename(String(path))
    .replace(/\.tmp-\d+-[0-9a-f]+$/, '.tmp')
    .replace(/[0-9a-f]{8,}/g, '*');

/** Records a step; true when it is to fail. */
function failing(step: string): boolean {
  if (plan === null) return false;
  steps.push(step);
  const index = steps.length - 1;
  return index === plan.failAt || (plan.crash === true && plan.failAt !== undefined && index > plan.failAt);
}

function check(step: string): void {
  if (failing(step)) throw plan!.error ?? injectedError(step);
}

function faultyHandle(handle: Fs.FileHandle, name: string): Fs.FileHandle {
  return new Proxy(handle, {
    get(target, key) {
      const original = Reflect.get(target, key, target) as unknown;
      if (typeof original !== 'function') return original;
      if (key === 'writeFile') {
        return async (data: string | Uint8Array) => {
          if (!failing(`writeFile ${name}`)) return target.writeFile(data);
          await target.writeFile(data.slice(0, Math.floor(data.length / 2)));
          throw plan!.error ?? injectedError(`writeFile ${name}`);
        };
      }
      if (key === 'sync')
        return async () => {
          check(`sync ${name}`);
          await target.sync();
        };
      // A failing close still releases the descriptor, as close(2) does.
      if (key === 'close')
        return async () => {
          const fails = failing(`close ${name}`);
          await target.close();
          if (fails) throw plan!.error ?? injectedError(`close ${name}`);
        };
      return original.bind(target);
    },
  });
}

export function faultyFs(fs: typeof Fs): typeof Fs {
  const wrapped = {
    ...fs,
    async open(path: Parameters<typeof fs.open>[0], ...rest: [string?, number?]) {
      check(`open ${label(path)}`);
      return faultyHandle(await fs.open(path, ...rest), label(path));
    },
    async rename(from: string, to: string) {
      check(`rename ${label(from)}`);
      return fs.rename(from, to);
    },
    async rm(path: string, options?: Parameters<typeof fs.rm>[1]) {
      check(`rm ${label(path)}`);
      return fs.rm(path, options);
    },
    async mkdir(path: string, options?: Parameters<typeof fs.mkdir>[1]) {
      check(`mkdir ${label(path)}`);
      return fs.mkdir(path, options);
    },
  } as typeof Fs;
  return { ...wrapped, default: wrapped } as typeof Fs;
}
