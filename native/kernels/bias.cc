#include "kernels/bias.h"

#include <algorithm>

namespace convkit::kernels {

void sumRows(int64_t rows, int64_t channels, const float* matrix, float* sums) {
  std::fill(sums, sums + channels, 0.0f);
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = matrix + r * channels;
    for (int64_t c = 0; c < channels; ++c) sums[c] += row[c];
  }
}

}  // namespace convkit::kernels
