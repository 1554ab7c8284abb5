// The executable steps of a Network: one node per kernel call. A conv2d or dense layer with an
// activation becomes two nodes (the linear op, then the activation), so every node is one kernel
// family's forward and backward. When the GEMM can apply the activation in its epilogue
// (relu, leakyRelu), the linear node's forward does so and the activation node only does the
// backward, reading the sign it needs from the fused output; and when max pooling follows, the
// pooling node applies that backward too, while it routes gradients (fuseActivationBackwards).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "model/network.h"

namespace convkit::model {

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
};

class Node {
 public:
  Node(int64_t inSize, int64_t outSize) : inSize(inSize), outSize(outSize) {}
  virtual ~Node() = default;

  // out = f(in) for pass.batch samples. In training mode a node may record state for backward.
  virtual void forward(const Pass& pass, const float* in, float* out) const = 0;

  // Given d loss / d out, writes d loss / d in (gradIn is null for the first node, whose input
  // gradient nobody needs) and the gradients of the node's parameters.
  virtual void backward(const Pass& pass, const float* in, const float* out, const float* gradOut,
                        float* gradIn) const = 0;

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

  const int64_t inSize;
  const int64_t outSize;
};

// Appends the nodes of one layer, creating its parameters in Keras's order.
void appendLayerNodes(const LayerSpec& spec, std::vector<Parameter>& parameters,
                      std::vector<std::unique_ptr<Node>>& nodes);

// Once all nodes exist: lets a node apply the backward of the fused activation just before it
// (max pooling does, as it routes gradients), so that activation's own backward pass is skipped.
void fuseActivationBackwards(std::vector<std::unique_ptr<Node>>& nodes);

}  // namespace convkit::model
