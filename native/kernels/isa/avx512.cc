// AVX-512F kernels (compiled with -mavx512f or /arch:AVX512, and only this file): a 14 x 32
// register tile, 28 accumulators of 16 floats plus 2 vectors of B and one broadcast of A, 31 of
// the 32 zmm registers. Runs only after dispatch.cc has checked the CPU and the OS (opmask and
// zmm state in XCR0) for AVX-512F.
#include <immintrin.h>

#include "kernels/isa/depthwise_taps.h"
#include "kernels/isa/dispatch.h"
#include "kernels/isa/gemm_ukernels.h"
#include "kernels/isa/maxpool2x2.h"
#include "kernels/isa/winograd_transforms.h"

namespace convkit::kernels {
namespace {

struct Avx512 {
  using Vec = __m512;
  static constexpr int kLanes = 16;
  static Vec zero() { return _mm512_setzero_ps(); }
  static Vec load(const float* p) { return _mm512_loadu_ps(p); }
  static Vec broadcast(float x) { return _mm512_set1_ps(x); }
  static void store(float* p, Vec x) { _mm512_storeu_ps(p, x); }
  static Vec add(Vec a, Vec b) { return _mm512_add_ps(a, b); }
  static Vec multiply(Vec a, Vec b) { return _mm512_mul_ps(a, b); }
  static Vec multiplyAdd(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
  static Vec selectNegative(Vec x, Vec y) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ), x, y);
  }
};

// B sliver (kc x 32, 24 KiB) in a 32-48 KiB L1, A panel (mc x kc, 94 KiB) in L2.
constexpr int64_t kMR = 14;
constexpr int64_t kNR = 32;

}  // namespace

extern const IsaKernels kAvx512Kernels = {
    "avx512",
    {kMR, kNR, /*kc=*/192, /*mc=*/126, /*nc=*/4096, simdGemmColumn<Avx512, kMR, kNR / Avx512::kLanes>,
     simdIndirectColumn<Avx512, kMR, kNR / Avx512::kLanes>},
    simdMultiplyAddLoop<Avx512, 12>,
    {winogradInputTransform, winogradOutputTransform, winogradOutputGradientTransform, winogradInputGradientTransform},
    {maxPool2x2Run, recordMaxPool2x2Run, routeToWinners2x2Run},
    depthwiseSumTaps<16>,
};

}  // namespace convkit::kernels
