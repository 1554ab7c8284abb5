// Keras's MaxPooling2D and AveragePooling2D: a window sliding over height and width, per channel.
#pragma once

#include <cstdint>

#include "kernels/pooling.h"
#include "model/node.h"

namespace convkit::model {

struct Pool2dLayer {
  kernels::Pool2dGeometry geometry;  // per sample (batch unused)

  int64_t inSize() const { return geometry.inHeight * geometry.inWidth * geometry.channels; }
  int64_t outSize() const { return geometry.outHeight * geometry.outWidth * geometry.channels; }
};

struct MaxPool2dLayer : Pool2dLayer {
  static constexpr const char* kKind = "maxPooling2d";
};

struct AvgPool2dLayer : Pool2dLayer {
  static constexpr const char* kKind = "averagePooling2d";
};

void appendNodes(const MaxPool2dLayer& layer, NodeSink& sink);
void appendNodes(const AvgPool2dLayer& layer, NodeSink& sink);

}  // namespace convkit::model
