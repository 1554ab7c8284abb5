// AVX2 + FMA kernels (compiled with -mavx2 -mfma or /arch:AVX2, and only this file): a 6 x 16
// register tile, 12 accumulators of 8 floats, which keeps two FMA ports busy through their
// latency while loading 2 vectors of B and broadcasting 6 values of A per step of depth.
// Runs only after dispatch.cc has checked the CPU and the OS for AVX2 and FMA.
#include <immintrin.h>

#include "kernels/isa/depthwise_taps.h"
#include "kernels/isa/dispatch.h"
#include "kernels/isa/gemm_ukernels.h"
#include "kernels/isa/maxpool2x2.h"
#include "kernels/isa/winograd_transforms.h"

namespace convkit::kernels {
namespace {

struct Avx2 {
  using Vec = __m256;
  static constexpr int kLanes = 8;
  static Vec zero() { return _mm256_setzero_ps(); }
  static Vec load(const float* p) { return _mm256_loadu_ps(p); }
  static Vec broadcast(float x) { return _mm256_set1_ps(x); }
  static void store(float* p, Vec x) { _mm256_storeu_ps(p, x); }
  static Vec add(Vec a, Vec b) { return _mm256_add_ps(a, b); }
  static Vec multiply(Vec a, Vec b) { return _mm256_mul_ps(a, b); }
  static Vec multiplyAdd(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
  static Vec selectNegative(Vec x, Vec y) {
    return _mm256_blendv_ps(x, y, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
  }
};

// The B sliver (kc x 16, 32 KiB) is reused from L1 by every A sliver of the A panel (mc x kc,
// 288 KiB, from L2); the B panel (kc x nc, 8 MiB) lives in L3. Depth 512 rather than 256 halves
// the tile's C updates; measured on Zen 3 (32 KiB L1d, 512 KiB L2) it is the best of
// kc = 256..512 x mc = 72..240.
constexpr int64_t kMR = 6;
constexpr int64_t kNR = 16;

}  // namespace

extern const IsaKernels kAvx2Kernels = {
    "avx2",
    {kMR, kNR, /*kc=*/512, /*mc=*/144, /*nc=*/4080, simdGemmColumn<Avx2, kMR, kNR / Avx2::kLanes>,
     simdIndirectColumn<Avx2, kMR, kNR / Avx2::kLanes>},
    simdMultiplyAddLoop<Avx2, 10>,
    {winogradInputTransform, winogradOutputTransform, winogradOutputGradientTransform, winogradInputGradientTransform},
    {maxPool2x2Run, recordMaxPool2x2Run, routeToWinners2x2Run},
    depthwiseSumTaps<32>,
};

}  // namespace convkit::kernels
