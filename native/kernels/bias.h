// The bias gradient over the last axis, shared by convolution and dense layers (the forward bias
// is added in the GEMM epilogue, gemm.h).
#pragma once

#include <cstdint>

namespace convkit::kernels {

// sums[c] = sum over r of matrix[r, c]: the bias gradient. Overwrites sums.
void sumRows(int64_t rows, int64_t channels, const float* matrix, float* sums);

}  // namespace convkit::kernels
