// Input checks that run with the work (off the JavaScript thread), so validating a batch costs
// the event loop nothing.
#pragma once

#include <cstdint>

namespace convkit::kernels {

// Index of the first NaN or infinity in x, or -1.
int64_t findNonFinite(int64_t count, const float* x);

// Index of the first label outside [0, classes), or -1.
int64_t findLabelOutOfRange(int64_t count, const int32_t* labels, int64_t classes);

}  // namespace convkit::kernels
