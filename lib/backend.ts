// What the native backend is running with, for logs and bug reports.
import { addon } from './native/addon';
import { backendFunctions } from './native/backend';

export interface BackendInfo {
  /**
   * The SIMD instruction set the kernels were dispatched to: 'scalar' (portable C++), 'avx2',
   * 'avx512' or 'neon'. Chosen once per process; set CONVKIT_ISA before loading convkit to force
   * one (an unavailable choice falls back to the best available, which this then reports).
   */
  isa: string;
  /** The instruction sets this build and CPU support, narrowest first. */
  availableIsas: string[];
  /** Threads the kernels use. */
  threads: number;
  /** Node-API version the addon was built against. */
  napiVersion: number;
}

export function backendInfo(): BackendInfo {
  const native = addon as { napiVersion: number };
  // The thread pool is not built yet: every kernel runs on the calling thread.
  return {
    isa: backendFunctions.isa(),
    availableIsas: backendFunctions.availableIsas(),
    threads: 1,
    napiVersion: native.napiVersion,
  };
}
