// What the native backend runs with: the dispatched instruction set and the thread count.
import { positiveInt } from './errors';
import { addon, addonPath } from './native/addon';
import { backendFunctions } from './native/kernel_registry';

/** What `ck.backendInfo()` reports. */
export interface BackendInfo {
  /**
   * The SIMD instruction set the kernels were dispatched to: 'scalar' (portable C++), 'avx2',
   * 'avx512' or 'neon'. Chosen once per process; set CONVKIT_ISA before loading convkit to force
   * one (an unavailable choice falls back to the best available, which this then reports).
   */
  isa: string;
  /** The instruction sets this build and CPU support, narrowest first. */
  availableIsas: string[];
  /** Threads the kernels use (the calling thread included). */
  threads: number;
  /** Node-API version the addon was built against. */
  napiVersion: number;
  /** The addon file in use: a build from source (build/Release) or the package's prebuilt one (prebuilds/). */
  addonPath: string;
}

/** The native backend in use: instruction set, thread count, Node-API version and addon file. */
export function backendInfo(): BackendInfo {
  return {
    isa: backendFunctions.isa(),
    availableIsas: backendFunctions.availableIsas(),
    threads: backendFunctions.threads(),
    napiVersion: (addon as { napiVersion: number }).napiVersion,
    addonPath,
  };
}

/** The thread pool's cap (native/runtime/thread_pool.cc, which refuses more). */
const maxThreads = 256;

/**
 * Sets how many threads the kernels use (default: CONVKIT_NUM_THREADS, else the number of CPUs).
 * Shared by every model in the process, including those in worker_threads.
 * @param threads An integer in [1, 256], the calling thread included.
 * @throws {TypeError | RangeError} for anything else.
 */
export function setNumThreads(threads: number): void {
  const count = positiveInt(threads, 'threads');
  if (count > maxThreads) throw new RangeError(`threads must be in [1, ${maxThreads}], got ${count}`);
  backendFunctions.setThreads(count);
}
