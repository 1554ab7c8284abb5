#include "model/layers/merge.h"

#include <algorithm>
#include <numeric>

#include "kernels/merge.h"

namespace convkit::model {
namespace {

// A node of several inputs.
class MergeNode : public Node {
 public:
  MergeNode(int64_t inSize, int64_t outSize, size_t inputs) : Node(inSize, outSize), inputs_(inputs) {}
  size_t inputCount() const override { return inputs_; }

 protected:
  int64_t count(const Pass& pass) const { return pass.batch * outSize; }
  int64_t inputs() const { return static_cast<int64_t>(inputs_); }

 private:
  size_t inputs_;
};

enum class Elementwise { Add, Average, Maximum };

class ElementwiseMergeNode final : public MergeNode {
 public:
  ElementwiseMergeNode(const ElementwiseMergeLayer& layer, Elementwise op)
      : MergeNode(layer.size, layer.size, static_cast<size_t>(layer.inputs)), op_(op) {}

  void forwardInputs(const Pass& pass, Inputs in, float* out) const override {
    switch (op_) {
      case Elementwise::Add: kernels::addForward(count(pass), inputs(), in.data, out); return;
      case Elementwise::Average: kernels::averageForward(count(pass), inputs(), in.data, out); return;
      case Elementwise::Maximum: kernels::maximumForward(count(pass), inputs(), in.data, out); return;
    }
  }

  void backwardInputs(const Pass& pass, Inputs in, const float*, const float* gradOut,
                      InputGradients gradIn) const override {
    switch (op_) {
      case Elementwise::Add:
        // d(sum)/d(each input) is 1: each input's gradient is the output's.
        for (size_t k = 0; k < gradIn.size; ++k) {
          if (gradIn[k] != nullptr) std::copy(gradOut, gradOut + count(pass), gradIn[k]);
        }
        return;
      case Elementwise::Average: kernels::averageBackward(count(pass), inputs(), gradOut, gradIn.data); return;
      case Elementwise::Maximum: kernels::maximumBackward(count(pass), inputs(), in.data, gradOut, gradIn.data); return;
    }
  }

 private:
  Elementwise op_;
};

class MultiplyNode final : public MergeNode {
 public:
  explicit MultiplyNode(const MultiplyLayer& layer)
      : MergeNode(layer.inSize(), layer.outSize(), layer.broadcast.size()), layer_(layer) {}

  int64_t inputSize(size_t input) const override { return layer_.broadcast[input] ? layer_.channels : outSize; }

  void forwardInputs(const Pass& pass, Inputs in, float* out) const override {
    kernels::multiplyForward(pass.batch, layer_.positions, layer_.channels, inputs(), layer_.broadcast.data(), in.data,
                             out);
  }

  void backwardInputs(const Pass& pass, Inputs in, const float*, const float* gradOut,
                      InputGradients gradIn) const override {
    kernels::multiplyBackward(pass.batch, layer_.positions, layer_.channels, inputs(), layer_.broadcast.data(), in.data,
                              gradOut, gradIn.data);
  }

 private:
  MultiplyLayer layer_;
};

class ConcatenateNode final : public MergeNode {
 public:
  explicit ConcatenateNode(const ConcatenateLayer& layer)
      : MergeNode(layer.inSize(), layer.outSize(), layer.channels.size()), layer_(layer) {}

  int64_t inputSize(size_t input) const override { return layer_.positions * layer_.channels[input]; }

  void forwardInputs(const Pass& pass, Inputs in, float* out) const override {
    kernels::concatenateForward(pass.batch * layer_.positions, inputs(), layer_.channels.data(), in.data, out);
  }

  void backwardInputs(const Pass& pass, Inputs, const float*, const float* gradOut,
                      InputGradients gradIn) const override {
    kernels::concatenateBackward(pass.batch * layer_.positions, inputs(), layer_.channels.data(), gradOut, gradIn.data);
  }

 private:
  ConcatenateLayer layer_;
};

}  // namespace

int64_t ConcatenateLayer::outSize() const {
  return positions * std::accumulate(channels.begin(), channels.end(), int64_t{0});
}

void appendNodes(const AddLayer& layer, NodeSink& sink) {
  sink.append<ElementwiseMergeNode>(layer, Elementwise::Add);
}
void appendNodes(const AverageLayer& layer, NodeSink& sink) {
  sink.append<ElementwiseMergeNode>(layer, Elementwise::Average);
}
void appendNodes(const MaximumLayer& layer, NodeSink& sink) {
  sink.append<ElementwiseMergeNode>(layer, Elementwise::Maximum);
}
void appendNodes(const MultiplyLayer& layer, NodeSink& sink) {
  sink.append<MultiplyNode>(layer);
}
void appendNodes(const ConcatenateLayer& layer, NodeSink& sink) {
  sink.append<ConcatenateNode>(layer);
}

}  // namespace convkit::model
