// The portable reference kernels: plain C++ that any compiler builds for the baseline ISA and
// vectorizes as far as that ISA allows. Every other ISA is checked against these results.
#include <algorithm>

#include "kernels/isa/depthwise_taps.h"
#include "kernels/isa/dispatch.h"
#include "kernels/isa/maxpool2x2.h"
#include "kernels/isa/winograd_transforms.h"

namespace convkit::kernels {
namespace {

constexpr int64_t kMR = 4;   // rows of the register tile
constexpr int64_t kNR = 16;  // columns of the register tile (4 SSE vectors)

using Tile = float[kMR][kNR];

// C = alpha * tile + beta * C over the tile's first rows x cols, then the epilogue.
void storeTile(const Tile& acc, float alpha, float beta, float* c, int64_t ldc, int64_t rows, int64_t cols,
               const GemmEpilogue* epilogue) {
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

// acc[r][j] += aValue(r) * bRow[j] for every row of the tile; rows past `rows` may not exist in
// A, so they take 0 (a constant trip count keeps the tile in registers).
template <typename AValue>
void multiplyAddRow(Tile& acc, int64_t rows, AValue aValue, const float* bRow) {
  for (int64_t r = 0; r < kMR; ++r) {
    const float av = r < rows ? aValue(r) : 0.0f;
    for (int64_t j = 0; j < kNR; ++j) acc[r][j] += av * bRow[j];
  }
}

// Calls tile(t, rowsInTile) for tile t = 0, 1, ... of a column of `rows` rows: tile t starts at
// row t * kMR and holds kMR rows, the last one what is left.
template <typename Tile>
void forEachTile(int64_t rows, Tile tile) {
  for (int64_t t = 0; t * kMR < rows; ++t) tile(t, std::min(kMR, rows - t * kMR));
}

// The GemmMicroKernel contract (dispatch.h) for a column of kMR x kNR tiles.
void microKernel(int64_t kc, const float* a, int64_t aRowStride, int64_t aDepthStride, int64_t aTileStride,
                 const float* b, int64_t bDepthStride, float alpha, float beta, float* c, int64_t ldc, int64_t rows,
                 int64_t cols, const GemmEpilogue* epilogue) {
  forEachTile(rows, [&](int64_t t, int64_t tileRows) {
    const float* aTile = a + t * aTileStride;
    Tile acc = {};
    for (int64_t p = 0; p < kc; ++p) {
      const float* aCol = aTile + p * aDepthStride;
      multiplyAddRow(
          acc, tileRows, [&](int64_t r) { return aCol[r * aRowStride]; }, b + p * bDepthStride);
    }
    storeTile(acc, alpha, beta, c + t * kMR * ldc, ldc, tileRows, cols, epilogue);
  });
}

// The GemmIndirectMicroKernel contract (dispatch.h) for the same tiles.
void indirectMicroKernel(int64_t taps, int64_t tapDepth, const float* const* a, int64_t aRowStride, int64_t aOffset,
                         const float* zero, const float* packedB, float beta, float* c, int64_t ldc, int64_t rows,
                         int64_t cols, const GemmEpilogue* epilogue) {
  forEachTile(rows, [&](int64_t t, int64_t tileRows) {
    const float* const* aTile = a + t * kMR * aRowStride;
    Tile acc = {};
    const float* bRow = packedB;
    for (int64_t tap = 0; tap < taps; ++tap) {
      for (int64_t p = 0; p < tapDepth; ++p, bRow += kNR) {
        multiplyAddRow(
            acc, tileRows,
            [&](int64_t r) {
              const float* values = aTile[r * aRowStride + tap];
              return values == zero ? 0.0f : values[aOffset + p];
            },
            bRow);
      }
    }
    storeTile(acc, 1.0f, beta, c + t * kMR * ldc, ldc, tileRows, cols, epilogue);
  });
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
    {kMR, kNR, /*kc=*/256, /*mc=*/128, /*nc=*/2048, microKernel, indirectMicroKernel},
    multiplyAddLoop,
    {winogradInputTransform, winogradOutputTransform, winogradOutputGradientTransform, winogradInputGradientTransform},
    {maxPool2x2Run, recordMaxPool2x2Run, routeToWinners2x2Run},
    depthwiseSumTaps<16>,
};

}  // namespace convkit::kernels
