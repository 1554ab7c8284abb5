// The shared matrix multiply behind convolution and dense layers.
//
//   C[m x n] = alpha * op(A)[m x k] * op(B)[k x n] + beta * C
//
// Row-major, with leading dimensions, as cblas_sgemm(CblasRowMajor, ...). Callers only ever see
// this entry point: packing, cache blocking, the register micro-kernel and (later) per-ISA
// dispatch and threading live behind it.
#pragma once

#include <cstdint>

namespace convkit::kernels {

enum class Transpose : bool { No = false, Yes = true };

void gemm(Transpose transA, Transpose transB, int64_t m, int64_t n, int64_t k, float alpha,
          const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
          int64_t ldc);

}  // namespace convkit::kernels
