#include "kernels/activation.h"

namespace convkit::kernels {}  // namespace convkit::kernels
