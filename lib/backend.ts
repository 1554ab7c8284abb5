// What the native backend runs with, and the thread count it uses.
import { addon } from './native/addon';
import { positiveInt } from './errors';

const native = addon as {
  napiVersion: number;
  threads(): number;
  setThreads(threads: number): void;
  isa?(): string;
};

export interface BackendInfo {
  /** The SIMD instruction set the kernels were dispatched to. */
  isa: string;
  /** Threads the kernels use (the calling thread included). */
  threads: number;
  /** Node-API version the addon was built against. */
  napiVersion: number;
}

export function backendInfo(): BackendInfo {
  return { isa: native.isa?.() ?? 'portable', threads: native.threads(), napiVersion: native.napiVersion };
}

/**
 * Sets how many threads the kernels use (default: CONVKIT_NUM_THREADS, else the number of CPUs).
 * Shared by every model in the process, including those in worker_threads.
 */
export function setNumThreads(threads: number): void {
  native.setThreads(positiveInt(threads, 'threads'));
}
