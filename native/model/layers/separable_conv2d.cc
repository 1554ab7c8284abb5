#include "model/layers/separable_conv2d.h"

#include "model/layers/conv2d.h"
#include "model/layers/depthwise_conv2d.h"

namespace convkit::model {

void appendNodes(const SeparableConv2dLayer& layer, NodeSink& sink) {
  DepthwiseConv2dLayer depthwise;
  depthwise.geometry = layer.depthwise;
  depthwise.useBias = false;
  appendNodes(depthwise, sink);

  Conv2dLayer pointwise;
  auto& g = pointwise.geometry;
  g.inHeight = g.outHeight = layer.depthwise.outHeight;
  g.inWidth = g.outWidth = layer.depthwise.outWidth;
  g.inChannels = layer.depthwise.outChannels;
  g.outChannels = layer.filters;
  g.kernelHeight = g.kernelWidth = 1;
  pointwise.useBias = layer.useBias;
  pointwise.activation = layer.activation;
  appendConv2dNodes(pointwise, "pointwise_kernel", sink);
}

}  // namespace convkit::model
