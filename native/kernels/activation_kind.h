// The activation functions by name, apart from activation.h's kernels: a GEMM's epilogue
// (isa/epilogue.h) names the one it fuses, and the per-ISA kernels that apply it must not depend
// on operator headers.
#pragma once

namespace convkit::kernels {

enum class Activation {
  Linear,
  Relu,
  LeakyRelu,
  Elu,
  Sigmoid,
  Tanh,
  Softmax,
  Relu6,
  Swish,
  HardSwish,
  HardSigmoid,
  Gelu,
  Softplus,
  Selu,
  Mish,
};

}  // namespace convkit::kernels
