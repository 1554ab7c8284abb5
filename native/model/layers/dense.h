// Keras's Dense: one GEMM over the flattened sample, bias and a fused activation; its activation
// node follows when the GEMM cannot apply it.
#pragma once

#include <cstdint>

#include "kernels/dense.h"
#include "model/layers/activation.h"
#include "model/node.h"

namespace convkit::model {

struct DenseLayer {
  static constexpr const char* kKind = "dense";
  kernels::DenseGeometry geometry;  // per sample (batch unused)
  bool useBias = true;
  ActivationFunction activation;

  int64_t inSize() const { return geometry.inFeatures; }
  int64_t outSize() const { return geometry.units; }
};

void appendNodes(const DenseLayer& layer, NodeSink& sink);

}  // namespace convkit::model
