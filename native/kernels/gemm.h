// The shared matrix multiply behind convolution and dense layers.
//
//   C[m x n] = alpha * op(A)[m x k] * op(B)[k x n] + beta * C
//
// Row-major, with leading dimensions, as cblas_sgemm(CblasRowMajor, ...). Callers only ever see
// this entry point: packing, cache blocking and threading live behind it, and the register
// micro-kernel comes from the ISA picked at run time (isa/dispatch.h).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/isa/epilogue.h"  // GemmEpilogue, which the micro-kernels apply

namespace convkit::kernels {

enum class Transpose : bool { No = false, Yes = true };

// The activations whose derivative follows from their output (derivativeFollowsFromOutput): their
// backward needs nothing but the fused output.
bool canFuseIntoGemm(Activation activation, float alpha);

void gemm(Transpose transA, Transpose transB, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc, const GemmEpilogue& epilogue = {});

// op(B) [k x n] packed once, the way gemm packs it for the dispatched micro-kernel, for several
// products that share it: a layer's weights across the image chunks of one batch, which gemm
// would otherwise pack again for every chunk. The storage grows on demand and is reused.
struct PackedB {
  int64_t k = 0, n = 0;
  int64_t nr = 0, kc = 0, nc = 0;  // the blocking it was packed for
  int64_t depthMultiple = 1;       // depth panels end on multiples of this (gemmIndirect's tap depth)
  std::vector<float> storage;
  const float* data = nullptr;  // storage, aligned to a cache line
};

// depthMultiple > 1 packs for gemmIndirect with that tap depth (k must be a multiple of it).
void packB(Transpose transB, int64_t k, int64_t n, const float* b, int64_t ldb, PackedB& packed,
           int64_t depthMultiple = 1);

// gemm with op(B) from packB: C[m x n] = alpha * op(A)[m x k] * B[k x n] + beta * C.
void gemmPackedB(Transpose transA, int64_t m, float alpha, const float* a, int64_t lda, const PackedB& b, float beta,
                 float* c, int64_t ldc, const GemmEpilogue& epilogue = {});

// op(A) [m x taps*tapDepth] given as a table of pointers, as a convolution reads its input without
// copying it into an im2col matrix: row i is the concatenation over taps s of the tapDepth floats
// at rows[i * taps + s] + offset (one input pixel's channels under one kernel tap), or at `zero`
// where the table holds `zero` (padding). The offset moves one table onto another chunk of images.
struct IndirectA {
  const float* const* rows = nullptr;  // [m][taps]
  int64_t taps = 0;
  int64_t tapDepth = 0;
  int64_t offset = 0;
  const float* zero = nullptr;  // tapDepth zeros
};

// C[m x n] = op(A) * B + beta * C, then the epilogue, with B from packB(..., a.tapDepth).
void gemmIndirect(int64_t m, const IndirectA& a, const PackedB& b, float beta, float* c, int64_t ldc,
                  const GemmEpilogue& epilogue = {});

}  // namespace convkit::kernels
