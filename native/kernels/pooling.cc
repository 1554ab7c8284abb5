#include "kernels/pooling.h"

namespace convkit::kernels {}  // namespace convkit::kernels
