// The executable steps of a Network: one node per kernel call. A conv2d or dense layer with an
// activation becomes two nodes (the linear op, then the activation), so every node is one kernel
// family's forward and backward. Each layer kind's nodes live in layers/<kind>.cc; this header is
// what they share.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kernels/activation_kind.h"

namespace convkit::model {

struct Parameter {
  std::string name;
  std::vector<float> value;
  std::vector<float> grad;
  std::vector<float> slot0, slot1;  // optimizer state (velocity, mean square, Adam's m and v)
  bool trainable = true;
};

// Training-time buffers a node keeps between its forward and backward (dropout masks, max pooling
// winners, batch-norm statistics), sized for the workspace's batch capacity.
struct NodeState {
  std::vector<float> floats;
  std::vector<uint8_t> bytes;
};

// Everything a node needs for one call besides its input and output.
struct Pass {
  int64_t batch = 0;
  bool training = false;
  uint64_t seed = 0;
  NodeState* state = nullptr;
  Parameter* parameters = nullptr;  // the network's parameters, indexed by the node
  uint64_t weightsVersion = 0;      // Network::weightsVersion(): changes whenever they may have

  float* value(int parameter) const { return parameter < 0 ? nullptr : parameters[parameter].value.data(); }
  float* grad(int parameter) const { return parameter < 0 ? nullptr : parameters[parameter].grad.data(); }
};

// A kernel geometry stored per sample, patched with the batch of one call.
template <typename Geometry>
Geometry withBatch(Geometry geometry, int64_t batch) {
  geometry.batch = batch;
  return geometry;
}

// A node's inputs (or their gradients), in its layer's input order.
template <typename T>
struct Span {
  T* data = nullptr;
  size_t size = 0;
  T& operator[](size_t i) const { return data[i]; }
};
using Inputs = Span<const float* const>;
using InputGradients = Span<float* const>;

class Node {
 public:
  Node(int64_t inSize, int64_t outSize) : inSize(inSize), outSize(outSize) {}
  virtual ~Node() = default;

  // How many inputs the node takes, and the floats per sample of input k.
  virtual size_t inputCount() const { return 1; }
  virtual int64_t inputSize(size_t /*input*/) const { return inSize; }

  // out = f(in) for pass.batch samples. In training mode a node may record state for backward.
  virtual void forwardInputs(const Pass& pass, Inputs in, float* out) const = 0;

  // Given d loss / d out, writes d loss / d in[k] for each input (overwriting; gradIn[k] is null
  // for the network's input, whose gradient nobody needs) and the gradients of the node's parameters.
  virtual void backwardInputs(const Pass& pass, Inputs in, const float* out, const float* gradOut,
                              InputGradients gradIn) const = 0;

  // True for nodes whose output is their input (reshape/flatten, fused activations): no buffer.
  virtual bool aliasesInput() const { return false; }
  // True for nodes whose backward passes the gradient through unchanged: no work.
  virtual bool passesGradientThrough() const { return aliasesInput(); }
  virtual void reserveState(NodeState& /*state*/, int64_t /*batch*/) const {}

  // Multiply-add work of forward per sample, counted as 2 flops each (the GEMM-based nodes; the
  // rest is memory-bound and small beside them): what inference costs, to decide where it runs.
  virtual double forwardFlopsPerSample() const { return 0.0; }

  // For the loss: the activation a node applies, if it is an activation node, and the length of
  // the axis it runs over (what a softmax normalizes).
  virtual const kernels::Activation* activationKind() const { return nullptr; }
  virtual int64_t activationAxis() const { return 0; }

  // An activation fused into the GEMM before this node (its output is this node's only input,
  // and this node its only consumer) offers its backward: a node that can apply it while routing
  // gradients (max pooling) takes it and returns true, so the activation node's own backward is
  // skipped (the network makes the offer once all nodes exist).
  virtual bool takeOverActivationGradient(kernels::Activation /*kind*/, float /*alpha*/) { return false; }
  // The other side of that hand-off: an activation node offers its backward to its consumer.
  virtual void offerActivationGradientTo(Node& /*consumer*/) {}

  const int64_t inSize;   // floats per sample in (of each input, for merges of equal shapes)
  const int64_t outSize;  // floats per sample out
};

// A node of one input: all but the merges.
class UnaryNode : public Node {
 public:
  using Node::Node;

  virtual void forward(const Pass& pass, const float* in, float* out) const = 0;
  virtual void backward(const Pass& pass, const float* in, const float* out, const float* gradOut,
                        float* gradIn) const = 0;

  void forwardInputs(const Pass& pass, Inputs in, float* out) const final { forward(pass, in[0], out); }
  void backwardInputs(const Pass& pass, Inputs in, const float* out, const float* gradOut,
                      InputGradients gradIn) const final {
    backward(pass, in[0], out, gradOut, gradIn[0]);
  }
};

// What a layer's appendNodes writes to: the network's parameters and nodes.
struct NodeSink {
  std::vector<Parameter>& parameters;
  std::vector<std::unique_ptr<Node>>& nodes;
  bool trainable = true;  // the layer's: false freezes its weights (the optimizer skips them)

  // A parameter with a gradient is computed by backward even when frozen (the optimizer skips
  // it); one without (batch norm's moving statistics) is updated by forward only. Returns its
  // index, which the node keeps.
  int addParameter(const char* name, size_t size, bool hasGradient, float initialValue = 0.0f) {
    Parameter parameter;
    parameter.name = name;
    parameter.value.assign(size, initialValue);
    if (hasGradient) parameter.grad.assign(size, 0.0f);
    parameter.trainable = hasGradient && trainable;
    parameters.push_back(std::move(parameter));
    return static_cast<int>(parameters.size() - 1);
  }

  template <typename NodeType, typename... Args>
  void append(Args&&... args) {
    nodes.push_back(std::make_unique<NodeType>(std::forward<Args>(args)...));
  }
};

}  // namespace convkit::model
