// Keras's Flatten and Reshape: the same floats under another shape, so no node work and no buffer.
#pragma once

#include <cstdint>

#include "model/node.h"

namespace convkit::model {

struct ReshapeLayer {
  static constexpr const char* kKind = "reshape";
  int64_t size = 0;  // floats per sample

  int64_t inSize() const { return size; }
  int64_t outSize() const { return size; }
};

void appendNodes(const ReshapeLayer& layer, NodeSink& sink);

}  // namespace convkit::model
