#include "kernels/geometry.h"

#include <algorithm>

namespace convkit::kernels {

int64_t effectiveWindow(int64_t window, int64_t dilation) {
  return (window - 1) * dilation + 1;
}

bool windowAxis(int64_t inSize, int64_t window, int64_t stride, int64_t dilation, Padding padding,
                int64_t explicitBefore, int64_t explicitAfter, WindowAxis* axis) {
  const int64_t extent = effectiveWindow(window, dilation);
  switch (padding) {
    case Padding::Same: {
      axis->outSize = (inSize + stride - 1) / stride;
      const int64_t total = std::max<int64_t>((axis->outSize - 1) * stride + extent - inSize, 0);
      axis->padBefore = total / 2;
      axis->padAfter = total - axis->padBefore;
      return axis->outSize > 0;
    }
    case Padding::Valid:
      explicitBefore = 0;
      explicitAfter = 0;
      [[fallthrough]];
    case Padding::Explicit: {
      const int64_t padded = inSize + explicitBefore + explicitAfter;
      axis->padBefore = explicitBefore;
      axis->padAfter = explicitAfter;
      axis->outSize = padded >= extent ? (padded - extent) / stride + 1 : 0;
      return axis->outSize > 0;
    }
  }
  return false;
}

int64_t padReachedAfter(int64_t inSize, int64_t outSize, int64_t extent, int64_t stride, int64_t padBefore) {
  return std::max<int64_t>((outSize - 1) * stride + extent - inSize - padBefore, 0);
}

}  // namespace convkit::kernels
