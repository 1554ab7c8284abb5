// Cache-blocked GEMM in the BLIS manner, around the micro-kernel of the dispatched ISA
// (isa/dispatch.h): B is packed into kc x nc panels of nr-wide slivers (L3, one sliver in L1), A into
// mc x kc panels of mr-tall slivers (L2) unless few B slivers share it, and an mr x nr register
// tile accumulates over kc. The tile and block sizes come from the kernel's descriptor; this
// driver is plain C++ built for the baseline ISA.
#include "kernels/gemm.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <vector>

#include "kernels/activation.h"
#include "kernels/isa/dispatch.h"

namespace convkit::kernels {
namespace {

// Up to this many B slivers in a column block, the micro-kernel reads op(A) in place (see gemm()).
// Overridable at compile time to tune it, or to run every shape through one of the two paths.
#ifndef CONVKIT_GEMM_MAX_SLIVERS_WITHOUT_PACKING_A
#define CONVKIT_GEMM_MAX_SLIVERS_WITHOUT_PACKING_A 4
#endif
constexpr int64_t kMaxSliversWithoutPackingA = CONVKIT_GEMM_MAX_SLIVERS_WITHOUT_PACKING_A;

// Packed slivers start on a cache line, so no vector load of the micro-kernel straddles two.
constexpr size_t kAlignFloats = 64 / sizeof(float);

// Sizes storage for `floats` floats starting on a cache line; returns where they start.
float* reserveAligned(std::vector<float>& storage, size_t floats) {
  if (storage.size() < floats + kAlignFloats) storage.resize(floats + kAlignFloats);
  const auto address = reinterpret_cast<uintptr_t>(storage.data());
  const size_t misalignment = (address / sizeof(float)) % kAlignFloats;
  return storage.data() + (misalignment == 0 ? 0 : kAlignFloats - misalignment);
}

struct PackBuffer {
  std::vector<float> storage;
  float* data = nullptr;

  void reserve(size_t floats) { data = reserveAligned(storage, floats); }
};

struct PackBuffers {
  PackBuffer a;
  PackBuffer b;
};

// Scratch reused across calls on the same thread: GEMM never allocates in steady state.
PackBuffers& packBuffers(const GemmKernelInfo& kernel) {
  thread_local PackBuffers buffers;
  if (buffers.a.data == nullptr) {
    buffers.a.reserve(static_cast<size_t>(kernel.mc * kernel.kc));
    buffers.b.reserve(static_cast<size_t>(kernel.kc * kernel.nc));
  }
  return buffers;
}

// One sliver: for each of `depth` steps, the values of its `filled` rows, zero-padded to w.
// Row r of step p is at source[r * rowStride + p * depthStride]; kUnitRowStride fixes rowStride
// to 1 so the copy of a step becomes whole-vector moves.
template <int64_t kWidth, bool kUnitRowStride>
void packSliver(const float* __restrict source, int64_t rowStride, int64_t depthStride, int64_t depth, int64_t filled,
                int64_t w, float* __restrict target) {
  const int64_t stride = kUnitRowStride ? 1 : rowStride;
  if (filled == w) {
    for (int64_t p = 0; p < depth; ++p, source += depthStride, target += w) {
      // A loop, not std::copy: GCC turns that into a memmove call per step even for a constant w.
      for (int64_t r = 0; r < w; ++r) target[r] = source[r * stride];
    }
    return;
  }
  for (int64_t p = 0; p < depth; ++p, source += depthStride, target += w) {
    for (int64_t r = 0; r < filled; ++r) target[r] = source[r * stride];
    for (int64_t r = filled; r < w; ++r) target[r] = 0.0f;
  }
}

// Packs the block [i0, i0 + rows) x [p0, p0 + depth) of a row-major matrix X (element (i, p) at
// x[i * ld + p], or at x[p * ld + i] when transposed) as slivers of `width` rows, depth-major:
// sliver s holds, for each p, rows s*width .. s*width+width-1, zero-padded past `rows`.
// A (rows = M) and B^T (rows = N) are packed the same way, so one routine serves both.
// kWidth > 0 fixes the width at compile time, so the per-depth copy of one sliver row unrolls
// into straight loads and stores; kWidth == 0 reads it from `width`.
// Slivers are filled one at a time, so the writes are sequential. Dealing each depth step out to
// every sliver instead (which reads a transposed X in order) writes to slivers kc * w floats
// apart, which share their L1 sets and evict one another: measured 0.97x the time of a 512^3 GEMM.
template <int64_t kWidth>
void packSliversOf(Transpose trans, const float* x, int64_t ld, int64_t i0, int64_t p0, int64_t rows, int64_t depth,
                   int64_t width, float* packed) {
  const int64_t w = kWidth > 0 ? kWidth : width;
  const bool rowsContiguous = trans == Transpose::Yes;
  const int64_t rowStride = rowsContiguous ? 1 : ld;
  const int64_t depthStride = rowsContiguous ? ld : 1;
  for (int64_t is = 0; is < rows; is += w) {
    const float* source = x + (i0 + is) * rowStride + p0 * depthStride;
    float* target = packed + is * depth;
    const int64_t filled = std::min(w, rows - is);
    if (rowsContiguous) {
      packSliver<kWidth, true>(source, rowStride, depthStride, depth, filled, w, target);
    } else {
      packSliver<kWidth, false>(source, rowStride, depthStride, depth, filled, w, target);
    }
  }
}

// packSliversOf with the width fixed for the tile sizes of the registered micro-kernels.
void packSlivers(Transpose trans, const float* x, int64_t ld, int64_t i0, int64_t p0, int64_t rows, int64_t depth,
                 int64_t width, float* packed) {
  switch (width) {
    case 4: return packSliversOf<4>(trans, x, ld, i0, p0, rows, depth, width, packed);
    case 6: return packSliversOf<6>(trans, x, ld, i0, p0, rows, depth, width, packed);
    case 8: return packSliversOf<8>(trans, x, ld, i0, p0, rows, depth, width, packed);
    case 14: return packSliversOf<14>(trans, x, ld, i0, p0, rows, depth, width, packed);
    case 16: return packSliversOf<16>(trans, x, ld, i0, p0, rows, depth, width, packed);
    case 32: return packSliversOf<32>(trans, x, ld, i0, p0, rows, depth, width, packed);
    default: return packSliversOf<0>(trans, x, ld, i0, p0, rows, depth, width, packed);
  }
}

// C = beta * C, for the calls where no product term reaches the micro-kernel.
void scaleC(int64_t m, int64_t n, float beta, float* c, int64_t ldc) {
  if (beta == 1.0f) return;
  for (int64_t i = 0; i < m; ++i) {
    float* row = c + i * ldc;
    // beta == 0 overwrites, so NaN or garbage already in C never leaks into the result.
    if (beta == 0.0f) {
      std::fill(row, row + n, 0.0f);
    } else {
      for (int64_t j = 0; j < n; ++j) row[j] *= beta;
    }
  }
}

bool isIdentity(const GemmEpilogue& epilogue) {
  return epilogue.columnBias == nullptr && epilogue.activation == Activation::Linear;
}

// Floats one packed panel of nc columns and kc depth steps takes: whole slivers, zero-padded.
int64_t panelFloats(const GemmKernelInfo& kernel, int64_t nc, int64_t kc) {
  return (nc + kernel.nr - 1) / kernel.nr * kernel.nr * kc;
}

// op(A) as multiplyBlocked reads it in place or packed: each row block either packed into the
// thread's A buffer (many B slivers will reuse it) or read where it lies.
class DirectA {
 public:
  DirectA(const GemmKernelInfo& kernel, Transpose trans, const float* a, int64_t lda, float alpha)
      : kernel_(kernel),
        trans_(trans),
        a_(a),
        lda_(lda),
        alpha_(alpha),
        rowStride_(trans == Transpose::No ? lda : 1),
        depthStride_(trans == Transpose::No ? 1 : lda),
        packed_(packBuffers(kernel).a.data) {}

  // Packing an A panel costs about as much as one pass of the micro-kernel over it, and pays
  // back through contiguous, cache-resident reads by each B sliver. With only a few slivers
  // (the narrow outputs of convolutions), reading op(A) in place is faster.
  void startRowBlock(int64_t i0, int64_t mc, int64_t p0, int64_t kc, int64_t nc) {
    packA_ = (nc + kernel_.nr - 1) / kernel_.nr > kMaxSliversWithoutPackingA;
    if (packA_) packSlivers(trans_, a_, lda_, i0, p0, mc, kc, kernel_.mr, packed_);
  }

  // The column of tiles down rows [i0, i0 + mc) of C for one sliver of B.
  void column(int64_t i0, int64_t mc, int64_t p0, int64_t kc, const float* bSliver, int64_t bDepthStride, float beta,
              float* c, int64_t ldc, int64_t cols, const GemmEpilogue* epilogue) const {
    if (packA_) {
      kernel_.microKernel(kc, packed_, 1, kernel_.mr, kernel_.mr * kc, bSliver, bDepthStride, alpha_, beta, c, ldc, mc,
                          cols, epilogue);
    } else {
      const float* aBlock = a_ + i0 * rowStride_ + p0 * depthStride_;
      kernel_.microKernel(kc, aBlock, rowStride_, depthStride_, kernel_.mr * rowStride_, bSliver, bDepthStride, alpha_,
                          beta, c, ldc, mc, cols, epilogue);
    }
  }

 private:
  const GemmKernelInfo& kernel_;
  Transpose trans_;
  const float* a_;
  int64_t lda_;
  float alpha_;
  int64_t rowStride_, depthStride_;
  float* packed_;
  bool packA_ = false;
};

// op(A) through a table of row pointers (IndirectA): always read in place, a depth panel being a
// run of whole taps.
class IndirectTiles {
 public:
  IndirectTiles(const GemmKernelInfo& kernel, const IndirectA& a) : kernel_(kernel), a_(a) {}

  void startRowBlock(int64_t, int64_t, int64_t, int64_t, int64_t) {}

  // B comes from packB: its slivers are packed (bDepthStride == nr).
  void column(int64_t i0, int64_t mc, int64_t p0, int64_t kc, const float* bSliver, int64_t, float beta, float* c,
              int64_t ldc, int64_t cols, const GemmEpilogue* epilogue) const {
    const float* const* rowTaps = a_.rows + i0 * a_.taps + p0 / a_.tapDepth;
    kernel_.indirectMicroKernel(kc / a_.tapDepth, a_.tapDepth, rowTaps, a_.taps, a_.offset, a_.zero, bSliver, beta, c,
                                ldc, mc, cols, epilogue);
  }

 private:
  const GemmKernelInfo& kernel_;
  const IndirectA& a_;
};

// A panel of op(B) as multiplyBlocked reads it: sliver s (nr columns) starts at
// data + s * sliverStride, its depth steps depthStride floats apart. Packed (packSlivers layout:
// nr * kc and nr), or row-major op(B) read in place (nr and ldb).
struct BPanelView {
  const float* data;
  int64_t sliverStride, depthStride;
};

// The blocked product over op(B) panels of depth kc that bPanel(j0, p0, nc, kc) provides as a
// BPanelView: packed now by gemm, earlier by packB, or read in place. aTiles (DirectA or
// IndirectTiles) multiplies each column of register tiles: a row block of A by one sliver of B.
template <typename BPanel, typename ATiles>
void multiplyBlocked(int64_t m, int64_t n, int64_t k, int64_t kcMax, BPanel bPanel, ATiles& aTiles, float beta,
                     float* c, int64_t ldc, const GemmEpilogue& epilogue) {
  const GemmKernelInfo& kernel = activeKernels().gemm;
  const bool hasEpilogue = !isIdentity(epilogue);
  for (int64_t j0 = 0; j0 < n; j0 += kernel.nc) {
    const int64_t nc = std::min(kernel.nc, n - j0);
    for (int64_t p0 = 0; p0 < k; p0 += kcMax) {
      const int64_t kc = std::min(kcMax, k - p0);
      // The first depth panel applies beta; later ones accumulate onto it; the last one finishes
      // each tile with the epilogue.
      const float panelBeta = p0 == 0 ? beta : 1.0f;
      const bool lastPanel = p0 + kc == k;
      const BPanelView panel = bPanel(j0, p0, nc, kc);
      for (int64_t i0 = 0; i0 < m; i0 += kernel.mc) {
        const int64_t mc = std::min(kernel.mc, m - i0);
        aTiles.startRowBlock(i0, mc, p0, kc, nc);
        for (int64_t js = 0; js < nc; js += kernel.nr) {
          const float* bSliver = panel.data + js / kernel.nr * panel.sliverStride;
          GemmEpilogue sliverEpilogue = epilogue;
          if (epilogue.columnBias != nullptr) sliverEpilogue.columnBias += j0 + js;
          const GemmEpilogue* tileEpilogue = hasEpilogue && lastPanel ? &sliverEpilogue : nullptr;
          aTiles.column(i0, mc, p0, kc, bSliver, panel.depthStride, panelBeta, c + i0 * ldc + j0 + js, ldc,
                        std::min(kernel.nr, nc - js), tileEpilogue);
        }
      }
    }
  }
}

// The depth of B's panels: the kernel's kc, or for an indirect product (depthMultiple = the tap
// depth) the fewest panels of at most about kc that end on tap boundaries, balanced in size.
int64_t panelDepth(const GemmKernelInfo& kernel, int64_t k, int64_t depthMultiple) {
  if (depthMultiple == 1) return kernel.kc;
  const int64_t taps = k / depthMultiple;
  const int64_t panels = std::max<int64_t>(1, (k + kernel.kc - 1) / kernel.kc);
  return std::max<int64_t>(1, (taps + panels - 1) / panels) * depthMultiple;
}

// Where packB put the panel (j0, p0) of a PackedB: column block j0 / nc starts after the full
// blocks before it; its depth panels are nc wide.
const float* packedPanel(const GemmKernelInfo& kernel, const PackedB& b, int64_t j0, int64_t nc, int64_t p0) {
  return b.data + (j0 / kernel.nc) * panelFloats(kernel, kernel.nc, b.k) + panelFloats(kernel, nc, p0);
}

// The calls where no product term reaches the micro-kernel: C = epilogue(beta * C).
void scaleWithEpilogue(int64_t m, int64_t n, float beta, float* c, int64_t ldc, const GemmEpilogue& epilogue) {
  scaleC(m, n, beta, c, ldc);
  if (isIdentity(epilogue)) return;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = applyEpilogue(epilogue, j, c[i * ldc + j]);
  }
}

// op(B)[p][j] is B^T's element (j, p): packing B^T's rows as nr-wide slivers lays out B.
Transpose packedTranspose(Transpose transB) {
  return transB == Transpose::No ? Transpose::Yes : Transpose::No;
}

}  // namespace

bool canFuseIntoGemm(Activation activation, float alpha) {
  return derivativeFollowsFromOutput(activation, alpha);
}

void gemm(Transpose transA, Transpose transB, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc, const GemmEpilogue& epilogue) {
  assert(m >= 0 && n >= 0 && k >= 0);
  assert(canFuseIntoGemm(epilogue.activation, epilogue.alpha));
  if (m == 0 || n == 0) return;
  if (k == 0 || alpha == 0.0f) return scaleWithEpilogue(m, n, beta, c, ldc, epilogue);
  const GemmKernelInfo& kernel = activeKernels().gemm;
  float* panel = packBuffers(kernel).b.data;
  DirectA aTiles(kernel, transA, a, lda, alpha);
  // A B sliver packed for one row block of A is read once per tile of it; with no more rows than
  // that, copying B costs about what the product saves over reading whole slivers of row-major B
  // where they lie (kerasMnist's conv1 kernel gradient: 9 rows; Winograd's: 64).
  const bool bInPlace = transB == Transpose::No && n % kernel.nr == 0 && m <= kernel.mc;
  multiplyBlocked(
      m, n, k, kernel.kc,
      [&](int64_t j0, int64_t p0, int64_t nc, int64_t kc) {
        if (bInPlace) return BPanelView{b + p0 * ldb + j0, kernel.nr, ldb};
        packSlivers(packedTranspose(transB), b, ldb, j0, p0, nc, kc, kernel.nr, panel);
        return BPanelView{panel, kernel.nr * kc, kernel.nr};
      },
      aTiles, beta, c, ldc, epilogue);
}

// Panels in the order multiplyBlocked visits them: column blocks, then depth panels within each.
void packB(Transpose transB, int64_t k, int64_t n, const float* b, int64_t ldb, PackedB& packed,
           int64_t depthMultiple) {
  const GemmKernelInfo& kernel = activeKernels().gemm;
  assert(depthMultiple >= 1 && k % depthMultiple == 0);
  packed.k = k;
  packed.n = n;
  packed.nr = kernel.nr;
  packed.kc = panelDepth(kernel, k, depthMultiple);
  packed.nc = kernel.nc;
  packed.depthMultiple = depthMultiple;
  int64_t floats = 0;
  for (int64_t j0 = 0; j0 < n; j0 += kernel.nc) floats += panelFloats(kernel, std::min(kernel.nc, n - j0), k);
  float* target = reserveAligned(packed.storage, static_cast<size_t>(floats));
  packed.data = target;
  for (int64_t j0 = 0; j0 < n; j0 += kernel.nc) {
    const int64_t nc = std::min(kernel.nc, n - j0);
    for (int64_t p0 = 0; p0 < k; p0 += packed.kc) {
      const int64_t kc = std::min(packed.kc, k - p0);
      packSlivers(packedTranspose(transB), b, ldb, j0, p0, nc, kc, kernel.nr, target);
      target += panelFloats(kernel, nc, kc);
    }
  }
}

void gemmPackedB(Transpose transA, int64_t m, float alpha, const float* a, int64_t lda, const PackedB& b, float beta,
                 float* c, int64_t ldc, const GemmEpilogue& epilogue) {
  const GemmKernelInfo& kernel = activeKernels().gemm;
  assert(b.nr == kernel.nr && b.nc == kernel.nc && b.depthMultiple == 1);
  assert(canFuseIntoGemm(epilogue.activation, epilogue.alpha));
  if (m == 0 || b.n == 0) return;
  if (b.k == 0 || alpha == 0.0f) return scaleWithEpilogue(m, b.n, beta, c, ldc, epilogue);
  DirectA aTiles(kernel, transA, a, lda, alpha);
  multiplyBlocked(
      m, b.n, b.k, b.kc,
      [&](int64_t j0, int64_t p0, int64_t nc, int64_t kc) {
        return BPanelView{packedPanel(kernel, b, j0, nc, p0), kernel.nr * kc, kernel.nr};
      },
      aTiles, beta, c, ldc, epilogue);
}

void gemmIndirect(int64_t m, const IndirectA& a, const PackedB& b, float beta, float* c, int64_t ldc,
                  const GemmEpilogue& epilogue) {
  const GemmKernelInfo& kernel = activeKernels().gemm;
  assert(b.nr == kernel.nr && b.nc == kernel.nc && b.depthMultiple == a.tapDepth && b.k == a.taps * a.tapDepth);
  assert(canFuseIntoGemm(epilogue.activation, epilogue.alpha));
  if (m == 0 || b.n == 0) return;
  if (b.k == 0) return scaleWithEpilogue(m, b.n, beta, c, ldc, epilogue);
  IndirectTiles aTiles(kernel, a);
  multiplyBlocked(
      m, b.n, b.k, b.kc,
      [&](int64_t j0, int64_t p0, int64_t nc, int64_t kc) {
        return BPanelView{packedPanel(kernel, b, j0, nc, p0), kernel.nr * kc, kernel.nr};
      },
      aTiles, beta, c, ldc, epilogue);
}

}  // namespace convkit::kernels
