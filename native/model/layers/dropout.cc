#include "model/layers/dropout.h"

#include <cstring>

#include "kernels/dropout.h"

namespace convkit::model {
namespace {

class DropoutNode final : public UnaryNode {
 public:
  explicit DropoutNode(const DropoutLayer& layer) : UnaryNode(layer.size, layer.size), rate_(layer.rate) {}

  void forward(const Pass& pass, const float* in, float* out) const override {
    const int64_t count = pass.batch * inSize;
    if (!pass.training || rate_ == 0.0f) {
      std::memcpy(out, in, sizeof(float) * static_cast<size_t>(count));
      return;
    }
    kernels::dropoutForward(count, rate_, pass.seed, in, out, pass.state->bytes.data());
  }

  void backward(const Pass& pass, const float*, const float*, const float* gradOut, float* gradIn) const override {
    if (gradIn == nullptr) return;
    const int64_t count = pass.batch * inSize;
    if (rate_ == 0.0f) {
      std::memcpy(gradIn, gradOut, sizeof(float) * static_cast<size_t>(count));
      return;
    }
    kernels::dropoutBackward(count, rate_, pass.state->bytes.data(), gradOut, gradIn);
  }

  void reserveState(NodeState& state, int64_t batch) const override {
    state.bytes.resize(static_cast<size_t>(batch * inSize));
  }

 private:
  float rate_;
};

}  // namespace

void appendNodes(const DropoutLayer& layer, NodeSink& sink) {
  sink.append<DropoutNode>(layer);
}

}  // namespace convkit::model
