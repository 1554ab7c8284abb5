#include "model/layers/activation.h"

#include "kernels/activation.h"
#include "kernels/gemm.h"

namespace convkit::model {
namespace {

using kernels::Activation;

class ActivationNode final : public UnaryNode {
 public:
  // fusedIntoGemm: the previous node's GEMM already applied it, so forward has nothing to do and
  // backward gets the activation's output as its input. That is enough for relu and leakyRelu
  // (slope >= 0), the only ones fused, whose gradient depends on the sign of x alone, which the
  // output keeps.
  ActivationNode(int64_t size, const ActivationFunction& function, int64_t cols, bool fusedIntoGemm)
      : UnaryNode(size, size), function_(function), cols_(cols), fusedIntoGemm_(fusedIntoGemm) {}

  void forward(const Pass& pass, const float* in, float* out) const override {
    if (fusedIntoGemm_) return;
    const int64_t count = pass.batch * inSize;
    kernels::activationForward(function_.kind, function_.alpha, count / cols_, cols_, in, out);
  }

  void backward(const Pass& pass, const float* in, const float* out, const float* gradOut,
                float* gradIn) const override {
    if (gradIn == nullptr) return;
    const int64_t count = pass.batch * inSize;
    kernels::activationBackward(function_.kind, function_.alpha, count / cols_, cols_, in, out, gradOut, gradIn);
  }

  bool aliasesInput() const override { return fusedIntoGemm_; }
  bool passesGradientThrough() const override { return gradientAppliedByNextNode_; }

  void offerActivationGradientTo(Node& next) override {
    if (fusedIntoGemm_) gradientAppliedByNextNode_ = next.takeOverActivationGradient(function_.kind, function_.alpha);
  }

  const Activation* activationKind() const override { return &function_.kind; }
  int64_t activationAxis() const override { return cols_; }

 private:
  ActivationFunction function_;
  int64_t cols_;
  bool fusedIntoGemm_;
  bool gradientAppliedByNextNode_ = false;
};

}  // namespace

void appendNodes(const ActivationLayer& layer, NodeSink& sink) {
  sink.append<ActivationNode>(layer.size, layer.function, layer.channels, false);
}

ActivationFunction fusedIntoGemm(const ActivationFunction& function) {
  if (kernels::canFuseIntoGemm(function.kind, function.alpha)) return function;
  return ActivationFunction{};
}

void appendActivationAfterGemm(const ActivationFunction& function, int64_t size, int64_t channels, NodeSink& sink) {
  if (function.kind == Activation::Linear) return;
  const bool fused = fusedIntoGemm(function).kind == function.kind;
  sink.append<ActivationNode>(size, function, channels, fused);
}

}  // namespace convkit::model
