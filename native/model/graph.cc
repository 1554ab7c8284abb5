#include "model/graph.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

namespace convkit::model {

NodeGraph::NodeGraph(std::vector<std::vector<int>> inputs) : inputs_(std::move(inputs)), consumers_(inputs_.size(), 0) {
  for (size_t i = 0; i < inputs_.size(); ++i) {
    for (const int input : inputs_[i]) {
      if (input < kNetworkInput || input >= static_cast<int>(i)) {
        throw std::invalid_argument("node " + std::to_string(i) + " reads node " + std::to_string(input) +
                                    ", which does not come before it");
      }
      if (input != kNetworkInput) ++consumers_[static_cast<size_t>(input)];
    }
  }
}

namespace {

class SlotPool {
 public:
  int take() {
    if (free_.empty()) return count_++;
    const int slot = free_.back();
    free_.pop_back();
    return slot;
  }
  void give(int slot) { free_.push_back(slot); }
  int count() const { return count_; }

 private:
  std::vector<int> free_;
  int count_ = 0;
};

}  // namespace

BackwardPlan NodeGraph::plan(bool lossFusedWithLast, const std::vector<bool>& passesThrough) const {
  BackwardPlan plan;
  if (size() == 0) return plan;
  SlotPool pool;
  std::vector<int> slotOf(size(), -1);
  const size_t last = size() - 1;
  size_t first = last;  // the first node backward runs, going down
  if (lossFusedWithLast) {
    const int logits = inputs_[last].at(0);
    if (logits == kNetworkInput) return plan;  // a network of one softmax: no parameter to train
    plan.lossSlot = slotOf[static_cast<size_t>(logits)] = pool.take();
    first = static_cast<size_t>(logits);
  } else {
    plan.lossSlot = slotOf[last] = pool.take();
  }
  for (size_t i = first + 1; i-- > 0;) {
    const int gradOut = slotOf[i];
    if (gradOut < 0) continue;  // not upstream of the loss (only the fused last node's siblings)
    const std::vector<int>& inputs = inputs_[i];
    if (passesThrough[i]) {
      const int input = inputs.at(0);
      if (input == kNetworkInput) {
        pool.give(gradOut);
      } else if (slotOf[static_cast<size_t>(input)] < 0) {
        slotOf[static_cast<size_t>(input)] = gradOut;  // the same gradient: hand the slot over
      } else {
        GradientStep step;
        step.node = i;
        step.gradOut = gradOut;
        step.callsNode = false;
        step.addInto = {slotOf[static_cast<size_t>(input)]};
        plan.steps.push_back(std::move(step));
        pool.give(gradOut);
      }
      continue;
    }
    GradientStep step;
    step.node = i;
    step.gradOut = gradOut;
    std::vector<int> temporaries;
    for (const int input : inputs) {
      int write = -1, add = -1;
      if (input != kNetworkInput) {
        int& target = slotOf[static_cast<size_t>(input)];
        if (target < 0) {
          write = target = pool.take();
        } else {
          // A later consumer already wrote this input's gradient: this one's is added to it.
          write = pool.take();
          add = target;
          temporaries.push_back(write);
        }
      }
      step.gradIn.push_back(write);
      step.addInto.push_back(add);
    }
    plan.steps.push_back(std::move(step));
    for (const int slot : temporaries) pool.give(slot);
    pool.give(gradOut);
  }
  plan.slots = pool.count();
  return plan;
}

BufferPlan NodeGraph::dedicatedBuffers(const std::vector<int64_t>& outSize, const std::vector<bool>& aliases) const {
  BufferPlan plan;
  for (size_t i = 0; i < size(); ++i) {
    if (aliases[i]) {
      plan.bufferOf.push_back(-1);
      continue;
    }
    plan.bufferOf.push_back(static_cast<int>(plan.floatsPerSample.size()));
    plan.floatsPerSample.push_back(outSize[i]);
  }
  return plan;
}

BufferPlan NodeGraph::sharedBuffers(const std::vector<int64_t>& outSize, const std::vector<bool>& aliases) const {
  const size_t n = size();
  // The node whose buffer holds node i's output (itself, or what it aliases; -1: the network's input).
  std::vector<int> owner(n);
  for (size_t i = 0; i < n; ++i) {
    owner[i] = aliases[i] ? (inputs_[i][0] == kNetworkInput ? -1 : owner[static_cast<size_t>(inputs_[i][0])])
                          : static_cast<int>(i);
  }
  // The last node that reads each owner's buffer, through any alias of it.
  std::vector<size_t> lastRead(n, 0);
  for (size_t i = 0; i < n; ++i) {
    for (const int input : inputs_[i]) {
      if (input != kNetworkInput && owner[static_cast<size_t>(input)] >= 0) {
        lastRead[static_cast<size_t>(owner[static_cast<size_t>(input)])] = i;
      }
    }
  }
  const auto keep = [&](int node) {
    if (node != kNetworkInput && owner[static_cast<size_t>(node)] >= 0)
      lastRead[static_cast<size_t>(owner[static_cast<size_t>(node)])] = n;
  };
  keep(static_cast<int>(n - 1));
  keep(inputs_[n - 1].at(0));

  BufferPlan plan;
  plan.bufferOf.assign(n, -1);
  std::vector<int> freeBuffers;
  std::vector<size_t> live;  // owners whose buffers are in use
  for (size_t i = 0; i < n; ++i) {
    if (aliases[i]) continue;
    // Buffers whose last reader ran before node i are free again (not node i's inputs: read by i).
    for (size_t k = live.size(); k-- > 0;) {
      if (lastRead[live[k]] < i) {
        freeBuffers.push_back(plan.bufferOf[live[k]]);
        live.erase(live.begin() + static_cast<std::ptrdiff_t>(k));
      }
    }
    // The smallest free buffer that fits, else the largest (grown), else a new one.
    int chosen = -1;
    for (const int buffer : freeBuffers) {
      const int64_t size = plan.floatsPerSample[static_cast<size_t>(buffer)];
      if (chosen < 0) {
        chosen = buffer;
        continue;
      }
      const int64_t best = plan.floatsPerSample[static_cast<size_t>(chosen)];
      const bool fits = size >= outSize[i], bestFits = best >= outSize[i];
      if ((fits && (!bestFits || size < best)) || (!fits && !bestFits && size > best)) chosen = buffer;
    }
    if (chosen < 0) {
      chosen = static_cast<int>(plan.floatsPerSample.size());
      plan.floatsPerSample.push_back(0);
    } else {
      freeBuffers.erase(std::find(freeBuffers.begin(), freeBuffers.end(), chosen));
    }
    int64_t& size = plan.floatsPerSample[static_cast<size_t>(chosen)];
    size = std::max(size, outSize[i]);
    plan.bufferOf[i] = chosen;
    live.push_back(i);
  }
  return plan;
}

}  // namespace convkit::model
