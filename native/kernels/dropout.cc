#include "kernels/dropout.h"

namespace convkit::kernels {}  // namespace convkit::kernels
