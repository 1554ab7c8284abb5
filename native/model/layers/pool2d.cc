#include "model/layers/pool2d.h"

#include "kernels/activation.h"

namespace convkit::model {
namespace {

using kernels::Activation;

class MaxPool2dNode final : public UnaryNode {
 public:
  explicit MaxPool2dNode(const MaxPool2dLayer& layer)
      : UnaryNode(layer.inSize(), layer.outSize()),
        geometry_(layer.geometry),
        recordsWinners_(kernels::maxPoolRecordsWinners(layer.geometry)) {}

  // Over the output of an activation fused into the layer before, max pooling can apply that
  // activation's derivative while it routes gradients (maxPool2dBackward).
  bool takeOverActivationGradient(Activation kind, float alpha) override {
    if (!kernels::derivativeFollowsFromOutput(kind, alpha)) return false;
    inputActivation_ = kind;
    inputActivationAlpha_ = alpha;
    return true;
  }

  void forward(const Pass& pass, const float* in, float* out) const override {
    const kernels::Pool2dGeometry g = withBatch(geometry_, pass.batch);
    if (recordsWinners_ && pass.training) {
      kernels::maxPool2dForwardRecordingWinners(g, in, out, pass.state->bytes.data());
    } else {
      kernels::maxPool2dForward(g, in, out);
    }
  }

  void backward(const Pass& pass, const float* in, const float*, const float* gradOut, float* gradIn) const override {
    if (gradIn == nullptr) return;
    const kernels::Pool2dGeometry g = withBatch(geometry_, pass.batch);
    if (recordsWinners_) {
      kernels::maxPool2dBackwardFromWinners(g, pass.state->bytes.data(), gradOut, gradIn, inputActivation_,
                                            inputActivationAlpha_);
    } else {
      kernels::maxPool2dBackward(g, in, gradOut, gradIn, inputActivation_, inputActivationAlpha_);
    }
  }

  void reserveState(NodeState& state, int64_t batch) const override {
    if (recordsWinners_) state.bytes.resize(static_cast<size_t>(batch * outSize));
  }

 private:
  kernels::Pool2dGeometry geometry_;
  // Training's forward records each output's winner (one byte each, in the state) for backward,
  // which then need not read the input again: the largest memory traffic of max pooling's backward.
  bool recordsWinners_;
  Activation inputActivation_ = Activation::Linear;
  float inputActivationAlpha_ = 0.0f;
};

class AvgPool2dNode final : public UnaryNode {
 public:
  explicit AvgPool2dNode(const AvgPool2dLayer& layer)
      : UnaryNode(layer.inSize(), layer.outSize()), geometry_(layer.geometry) {}

  void forward(const Pass& pass, const float* in, float* out) const override {
    kernels::avgPool2dForward(withBatch(geometry_, pass.batch), in, out);
  }

  void backward(const Pass& pass, const float*, const float*, const float* gradOut, float* gradIn) const override {
    if (gradIn != nullptr) kernels::avgPool2dBackward(withBatch(geometry_, pass.batch), gradOut, gradIn);
  }

 private:
  kernels::Pool2dGeometry geometry_;
};

}  // namespace

void appendNodes(const MaxPool2dLayer& layer, NodeSink& sink) {
  sink.append<MaxPool2dNode>(layer);
}
void appendNodes(const AvgPool2dLayer& layer, NodeSink& sink) {
  sink.append<AvgPool2dNode>(layer);
}

}  // namespace convkit::model
