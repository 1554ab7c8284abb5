// Per-channel bias over the last axis, shared by convolution and dense layers.
#pragma once

#include <cstdint>

namespace convkit::kernels {

// matrix[r, c] += bias[c] for matrix[rows, channels].
void addRowBias(int64_t rows, int64_t channels, const float* bias, float* matrix);

// sums[c] = sum over r of matrix[r, c]: the bias gradient. Overwrites sums.
void sumRows(int64_t rows, int64_t channels, const float* matrix, float* sums);

}  // namespace convkit::kernels
