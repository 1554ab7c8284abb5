#include "model/graph.h"

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

}  // namespace convkit::model
