// What the native backend is running with, for logs and bug reports.
import { addon } from './native/addon';

export interface BackendInfo {
  /** The SIMD instruction set the kernels were dispatched to. */
  isa: string;
  /** Threads the kernels use. */
  threads: number;
  /** Node-API version the addon was built against. */
  napiVersion: number;
}

export function backendInfo(): BackendInfo {
  const native = addon as { napiVersion: number };
  // Run-time ISA dispatch and the thread pool are not built yet: every kernel runs the portable
  // C++ path on the calling thread.
  return { isa: 'portable', threads: 1, napiVersion: native.napiVersion };
}
