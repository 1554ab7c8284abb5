// Maxout (Goodfellow et al., 2013) over the last axis: each output channel is the maximum of
// `pieces` consecutive input channels.
#pragma once

#include <cstdint>

#include "model/node.h"

namespace convkit::model {

struct MaxoutLayer {
  static constexpr const char* kKind = "maxout";
  int64_t size = 0;  // floats per sample in, a multiple of units * pieces
  int64_t units = 0;
  int64_t pieces = 0;

  int64_t inSize() const { return size; }
  int64_t outSize() const { return size / pieces; }
};

void appendNodes(const MaxoutLayer& layer, NodeSink& sink);

}  // namespace convkit::model
