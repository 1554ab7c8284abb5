#include "model/layers/global_pool2d.h"

#include "kernels/pooling.h"

namespace convkit::model {
namespace {

class GlobalPool2dNode final : public UnaryNode {
 public:
  GlobalPool2dNode(const GlobalPool2dLayer& layer, bool max)
      : UnaryNode(layer.inSize(), layer.outSize()), layer_(layer), max_(max) {}

  void forward(const Pass& pass, const float* in, float* out) const override {
    const auto& l = layer_;
    if (max_) {
      kernels::globalMaxPool2dForward(pass.batch, l.height, l.width, l.channels, in, out);
    } else {
      kernels::globalAvgPool2dForward(pass.batch, l.height, l.width, l.channels, in, out);
    }
  }

  void backward(const Pass& pass, const float* in, const float*, const float* gradOut, float* gradIn) const override {
    if (gradIn == nullptr) return;
    const auto& l = layer_;
    if (max_) {
      kernels::globalMaxPool2dBackward(pass.batch, l.height, l.width, l.channels, in, gradOut, gradIn);
    } else {
      kernels::globalAvgPool2dBackward(pass.batch, l.height, l.width, l.channels, gradOut, gradIn);
    }
  }

 private:
  GlobalPool2dLayer layer_;
  bool max_;
};

}  // namespace

void appendNodes(const GlobalAvgPool2dLayer& layer, NodeSink& sink) {
  sink.append<GlobalPool2dNode>(layer, false);
}
void appendNodes(const GlobalMaxPool2dLayer& layer, NodeSink& sink) {
  sink.append<GlobalPool2dNode>(layer, true);
}

}  // namespace convkit::model
