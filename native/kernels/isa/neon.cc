// arm64 NEON kernels (NEON is baseline on arm64, so no extra flags; built only there): an 8 x 8
// register tile, 16 accumulators of 4 floats out of the 32 q registers.
#include <arm_neon.h>

#include "kernels/isa/depthwise_taps.h"
#include "kernels/isa/dispatch.h"
#include "kernels/isa/gemm_ukernels.h"
#include "kernels/isa/maxpool2x2.h"
#include "kernels/isa/winograd_transforms.h"

namespace convkit::kernels {
namespace {

struct Neon {
  using Vec = float32x4_t;
  static constexpr int kLanes = 4;
  static Vec zero() { return vdupq_n_f32(0.0f); }
  static Vec load(const float* p) { return vld1q_f32(p); }
  static Vec broadcast(float x) { return vdupq_n_f32(x); }
  static void store(float* p, Vec x) { vst1q_f32(p, x); }
  static Vec add(Vec a, Vec b) { return vaddq_f32(a, b); }
  static Vec multiply(Vec a, Vec b) { return vmulq_f32(a, b); }
  static Vec multiplyAdd(Vec a, Vec b, Vec c) { return vfmaq_f32(c, a, b); }
  static Vec selectNegative(Vec x, Vec y) { return vbslq_f32(vcltq_f32(x, vdupq_n_f32(0.0f)), y, x); }
};

// B sliver (kc x 8, 8 KiB) in L1, A panel (mc x kc, 128 KiB) in L2.
constexpr int64_t kMR = 8;
constexpr int64_t kNR = 8;

}  // namespace

extern const IsaKernels kNeonKernels = {
    "neon",
    {kMR, kNR, /*kc=*/256, /*mc=*/128, /*nc=*/2048, simdGemmColumn<Neon, kMR, kNR / Neon::kLanes>,
     simdIndirectColumn<Neon, kMR, kNR / Neon::kLanes>},
    simdMultiplyAddLoop<Neon, 16>,
    {winogradInputTransform, winogradOutputTransform, winogradOutputGradientTransform, winogradInputGradientTransform},
    {maxPool2x2Run, recordMaxPool2x2Run, routeToWinners2x2Run},
    depthwiseSumTaps<16>,
};

}  // namespace convkit::kernels
