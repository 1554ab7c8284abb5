// Keras's BatchNormalization over the last axis: batch statistics in training (updating the
// moving ones), the moving statistics in inference.
#pragma once

#include <cstdint>

#include "model/node.h"

namespace convkit::model {

struct BatchNormLayer {
  static constexpr const char* kKind = "batchNormalization";
  int64_t size = 0;      // floats per sample, a multiple of channels
  int64_t channels = 0;  // the normalized axis (the last)
  float epsilon = 1e-3f;
  float momentum = 0.99f;

  int64_t inSize() const { return size; }
  int64_t outSize() const { return size; }
};

void appendNodes(const BatchNormLayer& layer, NodeSink& sink);

}  // namespace convkit::model
