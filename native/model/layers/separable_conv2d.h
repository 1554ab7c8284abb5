// Keras's SeparableConv2D: a depthwise convolution (depthwise_conv2d.h, no bias) and then a
// pointwise 1x1 conv2d (conv2d.h) with the bias and the activation, as two nodes of one layer.
// Weights in Keras's order: depthwise_kernel [kh, kw, C, M], pointwise_kernel [1, 1, C*M, filters],
// bias [filters].
#pragma once

#include <cstdint>

#include "kernels/conv2d.h"
#include "model/layers/activation.h"
#include "model/node.h"

namespace convkit::model {

struct SeparableConv2dLayer {
  static constexpr const char* kKind = "separableConv2d";
  kernels::Conv2dGeometry depthwise;  // per sample; outChannels = inChannels * depth multiplier
  int64_t filters = 0;
  bool useBias = true;
  ActivationFunction activation;

  int64_t inSize() const { return depthwise.inHeight * depthwise.inWidth * depthwise.inChannels; }
  int64_t outSize() const { return depthwise.outHeight * depthwise.outWidth * filters; }
};

void appendNodes(const SeparableConv2dLayer& layer, NodeSink& sink);

}  // namespace convkit::model
