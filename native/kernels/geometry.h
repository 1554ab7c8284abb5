// Output sizes and padding of sliding windows (convolution and pooling), shared by every kernel
// that slides a window so 'valid' and 'same' mean exactly one thing across the library.
#pragma once

#include <cstdint>

namespace convkit::kernels {

enum class Padding { Valid, Same, Explicit };

// One spatial axis of a sliding window.
struct WindowAxis {
  int64_t outSize = 0;
  int64_t padBefore = 0;
  int64_t padAfter = 0;
};

// Extent of a dilated window: (window - 1) * dilation + 1.
int64_t effectiveWindow(int64_t window, int64_t dilation);

// Computes one axis. 'same' follows TensorFlow: out = ceil(in / stride) and the odd extra pad goes
// after (bottom/right). 'valid' pads nothing. 'explicit' uses padBefore/padAfter as given.
// Returns false when the dilated window does not fit the padded input (no output position).
bool windowAxis(int64_t inSize, int64_t window, int64_t stride, int64_t dilation, Padding padding,
                int64_t explicitBefore, int64_t explicitAfter, WindowAxis* axis);

// Padding the last window actually reaches past the input (the bottom or right pad in use): an
// explicit pad the stride never gets to is not used. extent: the dilated window.
int64_t padReachedAfter(int64_t inSize, int64_t outSize, int64_t extent, int64_t stride, int64_t padBefore);

}  // namespace convkit::kernels
