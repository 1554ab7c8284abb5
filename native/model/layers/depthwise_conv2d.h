// Keras's DepthwiseConv2D: a direct depthwise convolution (kernels/depthwise_conv2d.h), bias and a
// fused activation (relu, leakyRelu); its activation node follows for the others.
#pragma once

#include <cstdint>

#include "kernels/conv2d.h"
#include "model/layers/activation.h"
#include "model/node.h"

namespace convkit::model {

struct DepthwiseConv2dLayer {
  static constexpr const char* kKind = "depthwiseConv2d";
  kernels::Conv2dGeometry geometry;  // per sample (batch unused); outChannels = inChannels * depth multiplier
  bool useBias = true;
  ActivationFunction activation;

  int64_t inSize() const { return geometry.inHeight * geometry.inWidth * geometry.inChannels; }
  int64_t outSize() const { return geometry.outHeight * geometry.outWidth * geometry.outChannels; }
};

void appendNodes(const DepthwiseConv2dLayer& layer, NodeSink& sink);

}  // namespace convkit::model
