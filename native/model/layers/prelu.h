// Keras's PReLU: x for x > 0, alpha * x below, with a learned alpha per channel of the last axis
// (shared over the positions of an image: Keras's shared_axes [1, 2]), or per value of a flat
// input (channels == size: Keras's default of no shared axes).
#pragma once

#include <cstdint>

#include "model/node.h"

namespace convkit::model {

struct PreluLayer {
  static constexpr const char* kKind = "prelu";
  int64_t size = 0;      // floats per sample, a multiple of channels
  int64_t channels = 0;  // the last axis: one alpha each

  int64_t inSize() const { return size; }
  int64_t outSize() const { return size; }
};

void appendNodes(const PreluLayer& layer, NodeSink& sink);

}  // namespace convkit::model
