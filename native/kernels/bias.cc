#include "kernels/bias.h"

#include <algorithm>

namespace convkit::kernels {

namespace {

// Channels summed at once in a stack buffer: sums may alias nothing there, so the row loop keeps
// them in vector registers instead of loading and storing sums for every row.
constexpr int64_t kChannelBlock = 64;

}  // namespace

void sumRows(int64_t rows, int64_t channels, const float* matrix, float* sums) {
  for (int64_t c0 = 0; c0 < channels; c0 += kChannelBlock) {
    const int64_t width = std::min(kChannelBlock, channels - c0);
    float block[kChannelBlock] = {};
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = matrix + r * channels + c0;
      for (int64_t c = 0; c < width; ++c) block[c] += row[c];
    }
    std::copy(block, block + width, sums + c0);
  }
}

}  // namespace convkit::kernels
