#include "kernels/batchnorm.h"

namespace convkit::kernels {}  // namespace convkit::kernels
