#include "kernels/loss.h"

namespace convkit::kernels {}  // namespace convkit::kernels
