// addon.kernels, the per-kernel functions the tests (and bench/gemm.mjs) call directly; the
// library itself only uses the Network and backend bindings. Each file here is the typed view of
// one kernel family (native/binding/kernels/<family>.cc). All arrays are caller-owned and used in
// place (zero-copy); shapes and hyperparameters are validated natively and mistakes throw
// TypeError / RangeError.
import { addon } from '../../../lib/native/addon';

export const kernels = (addon as { kernels: unknown }).kernels;

/**
 * The activation a GEMM-based kernel applies in its epilogue, while each output tile is still in
 * registers (after the bias). Only the ones that cost a compare and a blend can be fused.
 */
export interface EpilogueActivation {
  /** Defaults to 'linear'. */
  activation?: 'linear' | 'relu' | 'leakyRelu';
  /** leakyRelu's slope, >= 0. Defaults to 0. */
  activationAlpha?: number;
}

/** Output size and padding of a sliding window (convolution or pooling). */
export interface WindowGeometry {
  outHeight: number;
  outWidth: number;
  padTop: number;
  /** Padding the last window actually reaches below the input. */
  padBottom: number;
  padLeft: number;
  /** Padding the last window actually reaches right of the input. */
  padRight: number;
}
