// Keras's Conv2D: im2col + GEMM (or Winograd for 3x3 stride-1 windows), bias and a fused
// activation; its activation node follows when the GEMM cannot apply it.
#pragma once

#include <cstdint>

#include "kernels/conv2d.h"
#include "model/layers/activation.h"
#include "model/node.h"

namespace convkit::model {

struct Conv2dLayer {
  static constexpr const char* kKind = "conv2d";
  kernels::Conv2dGeometry geometry;  // per sample (batch unused)
  bool useBias = true;
  ActivationFunction activation;

  int64_t inSize() const { return geometry.inHeight * geometry.inWidth * geometry.inChannels; }
  int64_t outSize() const { return geometry.outHeight * geometry.outWidth * geometry.outChannels; }
};

void appendNodes(const Conv2dLayer& layer, NodeSink& sink);

// appendNodes with the kernel parameter named kernelName (a separable layer's pointwise_kernel).
void appendConv2dNodes(const Conv2dLayer& layer, const char* kernelName, NodeSink& sink);

}  // namespace convkit::model
