#include "model/layers/prelu.h"

#include "kernels/activation.h"

namespace convkit::model {
namespace {

class PreluNode final : public UnaryNode {
 public:
  PreluNode(const PreluLayer& layer, NodeSink& sink)
      : UnaryNode(layer.size, layer.size),
        channels_(layer.channels),
        alpha_(sink.addParameter("alpha", static_cast<size_t>(layer.channels), true)) {}

  void forward(const Pass& pass, const float* in, float* out) const override {
    kernels::preluForward(rows(pass), channels_, in, pass.value(alpha_), out);
  }

  void backward(const Pass& pass, const float* in, const float*, const float* gradOut, float* gradIn) const override {
    kernels::preluBackward(rows(pass), channels_, in, pass.value(alpha_), gradOut, gradIn, pass.grad(alpha_));
  }

 private:
  int64_t rows(const Pass& pass) const { return pass.batch * inSize / channels_; }

  int64_t channels_;
  int alpha_;
};

}  // namespace

void appendNodes(const PreluLayer& layer, NodeSink& sink) {
  sink.append<PreluNode>(layer, sink);
}

}  // namespace convkit::model
