// Keras's Dropout: in training, zeroes each value with probability `rate` and scales the rest by
// 1 / (1 - rate); in inference, the identity.
#pragma once

#include <cstdint>

#include "model/node.h"

namespace convkit::model {

struct DropoutLayer {
  static constexpr const char* kKind = "dropout";
  int64_t size = 0;  // floats per sample
  float rate = 0.0f;

  int64_t inSize() const { return size; }
  int64_t outSize() const { return size; }
};

void appendNodes(const DropoutLayer& layer, NodeSink& sink);

}  // namespace convkit::model
