// The depthwise convolution's inner loop (depthwise_conv2d.h, depth multiplier 1): one pixel's
// channels summed over its window's taps, which each ISA's translation unit (scalar.cc, avx2.cc,
// ...) compiles with its own flags and vector width and publishes in its kernel table (dispatch.h,
// DepthwiseSumTaps). Plain loops over channels on __restrict pointers that the compiler
// vectorizes: the accumulators of a block of kBlock channels stay in registers across the taps.
// The sums are taken in the same order on every ISA (no reassociation, and -std=c++17 keeps GCC
// from contracting them into FMAs), so the ISAs differ at most where a compiler contracts anyway.
#pragma once

#include <cstdint>

#include "kernels/compiler.h"
#include "kernels/isa/dispatch.h"

namespace convkit::kernels {
namespace {

// One block of kBlock channels (kBlock: a few of the ISA's vectors) starting at channel c0.
template <int64_t kBlock>
inline void sumTapsBlock(int64_t c0, int64_t taps, const WindowTap* window, const float* __restrict data,
                         const float* __restrict kernel, const float* __restrict init, float* __restrict out) {
  float acc[kBlock];
  CONVKIT_UNROLL for (int64_t j = 0; j < kBlock; ++j) acc[j] = init != nullptr ? init[c0 + j] : 0.0f;
  for (int64_t t = 0; t < taps; ++t) {
    const float* __restrict x = data + window[t].data + c0;
    const float* __restrict w = kernel + window[t].kernel + c0;
    CONVKIT_UNROLL for (int64_t j = 0; j < kBlock; ++j) acc[j] += x[j] * w[j];
  }
  CONVKIT_UNROLL for (int64_t j = 0; j < kBlock; ++j) out[c0 + j] = acc[j];
}

// DepthwiseSumTaps (dispatch.h) in blocks of kBlock channels, then blocks of 4 and single channels.
template <int64_t kBlock>
void depthwiseSumTaps(int64_t channels, int64_t taps, const WindowTap* window, const float* data, const float* kernel,
                      const float* init, float* out) {
  int64_t c0 = 0;
  for (; c0 + kBlock <= channels; c0 += kBlock) sumTapsBlock<kBlock>(c0, taps, window, data, kernel, init, out);
  for (; c0 + 4 <= channels; c0 += 4) sumTapsBlock<4>(c0, taps, window, data, kernel, init, out);
  for (; c0 < channels; ++c0) sumTapsBlock<1>(c0, taps, window, data, kernel, init, out);
}

}  // namespace
}  // namespace convkit::kernels
