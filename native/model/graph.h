// How a network's nodes connect, and the order and buffers of its backward pass. Nodes are kept in
// topological order (each reads only earlier nodes or the network's input), so forward runs them
// in order and backward in reverse.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace convkit::model {

// A node input that is the network's own input rather than another node's output.
constexpr int kNetworkInput = -1;

// One node's part of backward. Gradients live in interchangeable slots, each as large as the
// largest node output: a slot holds d loss / d (some node's output) from when its first consumer's
// backward writes it until that node's own backward has read it, then serves another node. A chain
// needs two; a branch holds a slot until it rejoins.
struct GradientStep {
  size_t node = 0;
  int gradOut = -1;          // the slot holding d loss / d this node's output
  bool callsNode = true;     // false: a node that passes its gradient through, added into addInto[0]
  std::vector<int> gradIn;   // per input, the slot the node writes (-1: the network's input, none)
  std::vector<int> addInto;  // per input, the slot gradIn is then added to (-1: gradIn is that slot)
};

struct BackwardPlan {
  int lossSlot = -1;  // where the loss writes its gradient (-1: nothing to propagate)
  std::vector<GradientStep> steps;
  int slots = 0;
};

// Which buffer each node writes its output to. Nodes whose outputs are never needed at the same
// time share one (inference: an output is dead once its last reader has run); a node whose output
// is its input (aliases) writes none.
struct BufferPlan {
  std::vector<int> bufferOf;             // per node; -1 for a node aliasing its input
  std::vector<int64_t> floatsPerSample;  // per buffer: the largest output it holds
};

class NodeGraph {
 public:
  // inputs[i]: the nodes node i reads, in order (kNetworkInput for the network's input), all < i.
  explicit NodeGraph(std::vector<std::vector<int>> inputs);

  const std::vector<int>& inputsOf(size_t node) const { return inputs_[node]; }
  size_t consumersOf(size_t node) const { return consumers_[node]; }
  size_t size() const { return inputs_.size(); }

  // Backward from the last node's output gradient, or, when the loss is fused with the last node
  // (a softmax or sigmoid), from its input's. passesGradientThrough(i): whether node i's backward
  // is the identity (it then costs nothing: its input's gradient is its output's).
  // outSize[i]: node i's floats per sample; aliases[i]: its output is its first input.
  // Each node its own buffer: what training needs (backward reads every output) and what
  // activations() returns.
  BufferPlan dedicatedBuffers(const std::vector<int64_t>& outSize, const std::vector<bool>& aliases) const;
  // Buffers reused once their last reader has run: inference's plan. The last node's output lives
  // to the end, and so does its input (a fused loss reads the logits).
  BufferPlan sharedBuffers(const std::vector<int64_t>& outSize, const std::vector<bool>& aliases) const;

  template <typename PassesThrough>
  BackwardPlan backwardPlan(bool lossFusedWithLast, PassesThrough passesGradientThrough) const {
    std::vector<bool> through(size());
    for (size_t i = 0; i < size(); ++i) through[i] = passesGradientThrough(i);
    return plan(lossFusedWithLast, through);
  }

 private:
  BackwardPlan plan(bool lossFusedWithLast, const std::vector<bool>& passesThrough) const;

  std::vector<std::vector<int>> inputs_;
  std::vector<size_t> consumers_;
};

}  // namespace convkit::model
