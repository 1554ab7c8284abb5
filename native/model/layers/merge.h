// Keras's merge layers: Add, Average, Maximum, Multiply (with a per-channel gate broadcast over
// positions, for squeeze-excite) and Concatenate (along the channel axis). They take two or more
// inputs; a network's layer names them by index (LayerSpec::inputs).
#pragma once

#include <cstdint>
#include <vector>

#include "model/node.h"

namespace convkit::model {

// Inputs of one shape, merged elementwise.
struct ElementwiseMergeLayer {
  int64_t size = 0;    // floats per sample, of each input and of the output
  int64_t inputs = 2;  // how many

  int64_t inSize() const { return size; }
  int64_t outSize() const { return size; }
};

struct AddLayer : ElementwiseMergeLayer {
  static constexpr const char* kKind = "add";
};
struct AverageLayer : ElementwiseMergeLayer {
  static constexpr const char* kKind = "average";
};
struct MaximumLayer : ElementwiseMergeLayer {
  static constexpr const char* kKind = "maximum";
};

struct MultiplyLayer {
  static constexpr const char* kKind = "multiply";
  int64_t positions = 1;  // height * width of the output
  int64_t channels = 0;
  std::vector<uint8_t> broadcast;  // per input: 1 when it holds one value per channel

  int64_t inSize() const { return positions * channels; }
  int64_t outSize() const { return positions * channels; }
};

struct ConcatenateLayer {
  static constexpr const char* kKind = "concatenate";
  int64_t positions = 1;          // height * width, the same for every input
  std::vector<int64_t> channels;  // per input

  int64_t inSize() const { return positions * channels.at(0); }
  int64_t outSize() const;
};

void appendNodes(const AddLayer& layer, NodeSink& sink);
void appendNodes(const AverageLayer& layer, NodeSink& sink);
void appendNodes(const MaximumLayer& layer, NodeSink& sink);
void appendNodes(const MultiplyLayer& layer, NodeSink& sink);
void appendNodes(const ConcatenateLayer& layer, NodeSink& sink);

}  // namespace convkit::model
