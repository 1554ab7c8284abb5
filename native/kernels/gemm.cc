// Portable cache-blocked GEMM in the BLIS manner: B is packed into KC x NC panels of NR-wide
// slivers (L3/L2), A into MC x KC panels of MR-tall slivers (L2/L1), and an MR x NR register tile
// accumulates over KC. The micro-kernel is plain C++ that compilers vectorize for the baseline ISA.
#include "kernels/gemm.h"

#include <algorithm>
#include <cassert>
#include <vector>

namespace convkit::kernels {
namespace {

constexpr int64_t kMR = 4;      // rows of the register tile
constexpr int64_t kNR = 16;     // columns of the register tile (4 SSE / 2 AVX vectors)
constexpr int64_t kKC = 256;    // depth of a packed panel
constexpr int64_t kMC = 128;    // rows of a packed A panel (multiple of kMR)
constexpr int64_t kNC = 2048;   // columns of a packed B panel (multiple of kNR)

struct PackBuffers {
  std::vector<float> a;
  std::vector<float> b;
};

// Scratch reused across calls on the same thread: GEMM never allocates in steady state.
PackBuffers& packBuffers() {
  thread_local PackBuffers buffers;
  if (buffers.a.empty()) {
    buffers.a.resize(kMC * kKC);
    buffers.b.resize(kKC * kNC);
  }
  return buffers;
}

// Packs op(A)[i0:i0+mc, p0:p0+kc] as MR-row slivers, depth-major, zero-padding the last sliver.
void packA(Transpose trans, const float* a, int64_t lda, int64_t i0, int64_t p0, int64_t mc,
           int64_t kc, float* packed) {
  for (int64_t is = 0; is < mc; is += kMR) {
    const int64_t rows = std::min(kMR, mc - is);
    for (int64_t p = 0; p < kc; ++p) {
      for (int64_t r = 0; r < kMR; ++r) {
        float value = 0.0f;
        if (r < rows) {
          const int64_t i = i0 + is + r;
          const int64_t depth = p0 + p;
          value = trans == Transpose::No ? a[i * lda + depth] : a[depth * lda + i];
        }
        *packed++ = value;
      }
    }
  }
}

// Packs op(B)[p0:p0+kc, j0:j0+nc] as NR-column slivers, depth-major, zero-padding the last one.
void packB(Transpose trans, const float* b, int64_t ldb, int64_t p0, int64_t j0, int64_t kc,
           int64_t nc, float* packed) {
  for (int64_t js = 0; js < nc; js += kNR) {
    const int64_t cols = std::min(kNR, nc - js);
    for (int64_t p = 0; p < kc; ++p) {
      const int64_t depth = p0 + p;
      if (trans == Transpose::No && cols == kNR) {
        const float* row = b + depth * ldb + j0 + js;
        std::copy(row, row + kNR, packed);
        packed += kNR;
        continue;
      }
      for (int64_t c = 0; c < kNR; ++c) {
        float value = 0.0f;
        if (c < cols) {
          const int64_t j = j0 + js + c;
          value = trans == Transpose::No ? b[depth * ldb + j] : b[j * ldb + depth];
        }
        *packed++ = value;
      }
    }
  }
}

// C[rows x cols] += alpha * (packed A sliver) * (packed B sliver) over kc.
void microKernel(int64_t kc, float alpha, const float* packedA, const float* packedB, float* c,
                 int64_t ldc, int64_t rows, int64_t cols) {
  float acc[kMR][kNR] = {};
  for (int64_t p = 0; p < kc; ++p) {
    const float* bRow = packedB + p * kNR;
    const float* aCol = packedA + p * kMR;
    for (int64_t r = 0; r < kMR; ++r) {
      const float av = aCol[r];
      for (int64_t j = 0; j < kNR; ++j) acc[r][j] += av * bRow[j];
    }
  }
  for (int64_t r = 0; r < rows; ++r) {
    float* cRow = c + r * ldc;
    for (int64_t j = 0; j < cols; ++j) cRow[j] += alpha * acc[r][j];
  }
}

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

}  // namespace

void gemm(Transpose transA, Transpose transB, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
          int64_t ldc) {
  assert(m >= 0 && n >= 0 && k >= 0);
  if (m == 0 || n == 0) return;
  scaleC(m, n, beta, c, ldc);
  if (k == 0 || alpha == 0.0f) return;

  PackBuffers& buffers = packBuffers();
  for (int64_t j0 = 0; j0 < n; j0 += kNC) {
    const int64_t nc = std::min(kNC, n - j0);
    for (int64_t p0 = 0; p0 < k; p0 += kKC) {
      const int64_t kc = std::min(kKC, k - p0);
      packB(transB, b, ldb, p0, j0, kc, nc, buffers.b.data());
      for (int64_t i0 = 0; i0 < m; i0 += kMC) {
        const int64_t mc = std::min(kMC, m - i0);
        packA(transA, a, lda, i0, p0, mc, kc, buffers.a.data());
        for (int64_t js = 0; js < nc; js += kNR) {
          const float* bSliver = buffers.b.data() + js * kc;
          for (int64_t is = 0; is < mc; is += kMR) {
            const float* aSliver = buffers.a.data() + is * kc;
            microKernel(kc, alpha, aSliver, bSliver, c + (i0 + is) * ldc + j0 + js, ldc,
                        std::min(kMR, mc - is), std::min(kNR, nc - js));
          }
        }
      }
    }
  }
}

}  // namespace convkit::kernels
