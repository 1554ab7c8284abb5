#include "model/layers/maxout.h"

#include "kernels/activation.h"

namespace convkit::model {
namespace {

class MaxoutNode final : public UnaryNode {
 public:
  explicit MaxoutNode(const MaxoutLayer& layer)
      : UnaryNode(layer.inSize(), layer.outSize()), units_(layer.units), pieces_(layer.pieces) {}

  void forward(const Pass& pass, const float* in, float* out) const override {
    kernels::maxoutForward(rows(pass), units_, pieces_, in, out);
  }

  void backward(const Pass& pass, const float* in, const float*, const float* gradOut, float* gradIn) const override {
    if (gradIn != nullptr) kernels::maxoutBackward(rows(pass), units_, pieces_, in, gradOut, gradIn);
  }

 private:
  int64_t rows(const Pass& pass) const { return pass.batch * inSize / (units_ * pieces_); }

  int64_t units_, pieces_;
};

}  // namespace

void appendNodes(const MaxoutLayer& layer, NodeSink& sink) {
  sink.append<MaxoutNode>(layer);
}

}  // namespace convkit::model
