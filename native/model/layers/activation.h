// An activation applied on its own (Keras's Activation layer) or after a conv2d/dense layer. When
// the GEMM can apply it in its epilogue (relu, leakyRelu), the linear node's forward does so and
// the activation node only does the backward, reading the sign it needs from the fused output;
// and when max pooling follows, the pooling node applies that backward too, while it routes
// gradients (Node::takeOverActivationGradient).
#pragma once

#include <cstdint>

#include "kernels/activation_kind.h"
#include "model/node.h"

namespace convkit::model {

struct ActivationFunction {
  kernels::Activation kind = kernels::Activation::Linear;
  float alpha = 0.0f;  // leakyRelu slope / elu scale
};

struct ActivationLayer {
  static constexpr const char* kKind = "activation";
  int64_t size = 0;      // floats per sample
  int64_t channels = 0;  // the last axis, which softmax normalizes
  ActivationFunction function;

  int64_t inSize() const { return size; }
  int64_t outSize() const { return size; }
};

void appendNodes(const ActivationLayer& layer, NodeSink& sink);

// What a conv2d/dense layer's GEMM applies in its epilogue: its activation when the GEMM can,
// else linear (a separate activation node applies it).
ActivationFunction fusedIntoGemm(const ActivationFunction& function);

// The activation node after a conv2d/dense layer whose outputs have `channels` as their last axis
// (nothing for linear).
void appendActivationAfterGemm(const ActivationFunction& function, int64_t size, int64_t channels, NodeSink& sink);

}  // namespace convkit::model
