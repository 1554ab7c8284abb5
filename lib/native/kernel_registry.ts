// Typed view of the kernel registry: the SIMD instruction set the kernels were dispatched to, the
// ones this CPU supports, and their measured multiply-add peak. The ISA is chosen once per process,
// on first use, from CONVKIT_ISA (when it names an available ISA) or else the best available one.
import { addon } from './addon';

/** An instruction set with its own kernels: the portable reference or a SIMD extension. */
export type Isa = 'scalar' | 'avx2' | 'avx512' | 'neon';

export interface BackendFunctions {
  /** The ISA every kernel of this process runs. */
  isa(): Isa;
  /** The ISAs this build carries and this CPU can run, narrowest first ('scalar' always). */
  availableIsas(): Isa[];
  /**
   * Floating-point operations per second of the ISA's register-only multiply-add loop on the
   * calling thread, measured for about `seconds` (at most 10): the single-thread peak. Throws a
   * RangeError for an ISA that is not available.
   */
  peakFlops(isa: Isa, seconds: number): number;
  /** Threads the kernels use, the calling thread included. */
  threads(): number;
  setThreads(threads: number): void;
}

export const backendFunctions = addon as BackendFunctions;
