#include "kernels/optimizer.h"

namespace convkit::kernels {}  // namespace convkit::kernels
