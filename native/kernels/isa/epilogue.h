// The epilogue a GEMM applies to its tiles, defined here rather than in gemm.h because it is part
// of the micro-kernels' contract (isa/dispatch.h): every ISA's kernels apply it to C in registers,
// and they include nothing from the operators.
#pragma once

#include <cstdint>

#include "kernels/activation_kind.h"

namespace convkit::kernels {

// What GEMM does to each finished tile of C while it is still in registers, before storing it:
//   C[i][j] = activation(C[i][j] + columnBias[j])
// This is where convolution and dense layers add their bias and apply their activation, instead
// of two more passes over an output that has left the cache. Only the activations that cost a
// compare and a blend are fused (canFuseIntoGemm, gemm.h); the others run as their own kernel.
struct GemmEpilogue {
  const float* columnBias = nullptr;  // [n], or null for none
  Activation activation = Activation::Linear;
  float alpha = 0.0f;  // leakyRelu's slope
};

// The epilogue applied to one value of column `column`: the bias added to the product, then the
// activation exactly as activationForward computes it (so fused and unfused results are equal).
inline float applyEpilogue(const GemmEpilogue& epilogue, int64_t column, float value) {
  if (epilogue.columnBias != nullptr) value += epilogue.columnBias[column];
  if (value < 0.0f) {
    if (epilogue.activation == Activation::Relu) return 0.0f;
    if (epilogue.activation == Activation::LeakyRelu) return epilogue.alpha * value;
  }
  return value;
}

}  // namespace convkit::kernels
