#include "kernels/scan.h"

#include <cmath>

namespace convkit::kernels {

int64_t findNonFinite(int64_t count, const float* x) {
  for (int64_t i = 0; i < count; ++i) {
    if (!std::isfinite(x[i])) return i;
  }
  return -1;
}

int64_t findLabelOutOfRange(int64_t count, const int32_t* labels, int64_t classes) {
  for (int64_t i = 0; i < count; ++i) {
    if (labels[i] < 0 || labels[i] >= classes) return i;
  }
  return -1;
}

}  // namespace convkit::kernels
