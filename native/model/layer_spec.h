// The one registry of layer kinds: AnyLayer below. Each kind is a struct in layers/<kind>.h with
// its own fields (per-sample sizes: the batch is a property of each call), its name in the
// JavaScript spec (kKind), inSize()/outSize(), and an appendNodes overload in layers/<kind>.cc
// that turns it into nodes. The compiler holds the lists together: a kind added here without its
// appendNodes, or without the binding's reader (binding/layers.cc), does not build.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <variant>
#include <vector>

#include "model/graph.h"
#include "model/layers/activation.h"
#include "model/layers/batch_norm.h"
#include "model/layers/conv2d.h"
#include "model/layers/dense.h"
#include "model/layers/depthwise_conv2d.h"
#include "model/layers/dropout.h"
#include "model/layers/global_pool2d.h"
#include "model/layers/maxout.h"
#include "model/layers/merge.h"
#include "model/layers/pool2d.h"
#include "model/layers/prelu.h"
#include "model/layers/reshape.h"
#include "model/layers/separable_conv2d.h"
#include "model/node.h"

namespace convkit::model {

using AnyLayer = std::variant<Conv2dLayer, DenseLayer, MaxPool2dLayer, AvgPool2dLayer, GlobalAvgPool2dLayer,
                              GlobalMaxPool2dLayer, ReshapeLayer, DropoutLayer, BatchNormLayer, ActivationLayer,
                              MaxoutLayer, PreluLayer, AddLayer, AverageLayer, MaximumLayer, MultiplyLayer,
                              ConcatenateLayer, DepthwiseConv2dLayer, SeparableConv2dLayer>;

constexpr size_t kLayerKindCount = std::variant_size_v<AnyLayer>;

// The JavaScript names of the kinds, in AnyLayer's order.
const char* layerKindName(size_t index);

// One layer of a network.
struct LayerSpec {
  AnyLayer layer;
  bool trainable = true;  // false freezes the layer's weights (the optimizer skips them)
  // The layers it reads, by index (kNetworkInput: the network's input), in the kind's input order.
  // Empty: the layer before it (the network's input for the first).
  std::vector<int> inputs;

  int64_t outSize() const;  // floats per sample out
};

// Appends the nodes of one layer, creating its parameters in Keras's order.
void appendLayerNodes(const LayerSpec& spec, std::vector<Parameter>& parameters,
                      std::vector<std::unique_ptr<Node>>& nodes);

}  // namespace convkit::model
