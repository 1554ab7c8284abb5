// The portable reference kernels: plain C++ that any compiler builds for the baseline ISA and
// vectorizes as far as that ISA allows. Every other ISA is checked against these results.
#include "kernels/dispatch.h"

namespace convkit::kernels {
namespace {

constexpr int64_t kMR = 4;   // rows of the register tile
constexpr int64_t kNR = 16;  // columns of the register tile (4 SSE vectors)

// The GemmMicroKernel contract (dispatch.h) for a kMR x kNR tile.
void microKernel(int64_t kc, const float* a, int64_t aRowStride, int64_t aDepthStride,
                 const float* packedB, float alpha, float beta, float* c, int64_t ldc,
                 int64_t rows, int64_t cols, const GemmEpilogue* epilogue) {
  float acc[kMR][kNR] = {};
  for (int64_t p = 0; p < kc; ++p) {
    const float* bRow = packedB + p * kNR;
    const float* aCol = a + p * aDepthStride;
    // A constant trip count keeps the tile in registers; rows past `rows` may not exist in A.
    for (int64_t r = 0; r < kMR; ++r) {
      const float av = r < rows ? aCol[r * aRowStride] : 0.0f;
      for (int64_t j = 0; j < kNR; ++j) acc[r][j] += av * bRow[j];
    }
  }
  for (int64_t r = 0; r < rows; ++r) {
    float* cRow = c + r * ldc;
    if (beta == 0.0f) {
      for (int64_t j = 0; j < cols; ++j) cRow[j] = alpha * acc[r][j];
    } else {
      for (int64_t j = 0; j < cols; ++j) cRow[j] = alpha * acc[r][j] + beta * cRow[j];
    }
    if (epilogue != nullptr) {
      for (int64_t j = 0; j < cols; ++j) cRow[j] = applyEpilogue(*epilogue, j, cRow[j]);
    }
  }
}

// Independent multiply-add chains (see IsaKernels::multiplyAddLoop): without FMA each step is a
// multiply then an add, so covering both latencies on two ports of each takes many chains; 40
// floats are 10 SSE vectors, which still fit the 16 registers with the two operands.
constexpr int kChains = 40;

double multiplyAddLoop(int64_t rounds, float* sink) {
  const float scale = sink[0];
  const float offset = sink[1];
  float acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = sink[2] + static_cast<float>(i);
  for (int64_t round = 0; round < rounds; ++round) {
    for (int i = 0; i < kChains; ++i) acc[i] = acc[i] * scale + offset;
  }
  float total = 0.0f;
  for (int i = 0; i < kChains; ++i) total += acc[i];
  sink[0] = total;
  return 2.0 * kChains * static_cast<double>(rounds);
}

}  // namespace

// The blocking the portable GEMM has always used: depth 256, 128 rows of A, 2048 columns of B.
extern const IsaKernels kScalarKernels = {
    "scalar",
    {kMR, kNR, /*kc=*/256, /*mc=*/128, /*nc=*/2048, microKernel},
    multiplyAddLoop,
};

}  // namespace convkit::kernels
