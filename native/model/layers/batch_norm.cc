#include "model/layers/batch_norm.h"

#include "kernels/batchnorm.h"

namespace convkit::model {
namespace {

class BatchNormNode final : public UnaryNode {
 public:
  BatchNormNode(const BatchNormLayer& layer, NodeSink& sink)
      : UnaryNode(layer.size, layer.size),
        channels_(layer.channels),
        epsilon_(layer.epsilon),
        momentum_(layer.momentum),
        frozen_(!sink.trainable) {
    const auto channels = static_cast<size_t>(layer.channels);
    gamma_ = sink.addParameter("gamma", channels, true, 1.0f);
    beta_ = sink.addParameter("beta", channels, true);
    movingMean_ = sink.addParameter("moving_mean", channels, false);
    movingVariance_ = sink.addParameter("moving_variance", channels, false, 1.0f);
  }

  void forward(const Pass& pass, const float* in, float* out) const override {
    const kernels::BatchNormGeometry g = at(pass);
    // A frozen layer runs in inference mode in training too (Keras's rule since TF 2.0): its moving
    // statistics stay as they are, which is what fine-tuning a pretrained model needs.
    if (pass.training && !frozen_) {
      float* saved = pass.state->floats.data();
      kernels::batchNormTrainingForward(g, in, pass.value(gamma_), pass.value(beta_), pass.value(movingMean_),
                                        pass.value(movingVariance_), out, saved, saved + channels_);
    } else {
      kernels::batchNormInferenceForward(g, in, pass.value(gamma_), pass.value(beta_), pass.value(movingMean_),
                                         pass.value(movingVariance_), out);
    }
  }

  void backward(const Pass& pass, const float* in, const float*, const float* gradOut, float* gradIn) const override {
    if (frozen_) {
      if (gradIn != nullptr) {
        kernels::batchNormInferenceBackward(at(pass), pass.value(gamma_), pass.value(movingVariance_), gradOut, gradIn);
      }
      return;
    }
    float* saved = pass.state->floats.data();
    // The kernel always writes an input gradient; the first layer's goes to a scratch area.
    float* target = gradIn != nullptr ? gradIn : saved + 2 * channels_;
    kernels::batchNormBackward(at(pass), in, pass.value(gamma_), saved, saved + channels_, gradOut, target,
                               pass.grad(gamma_), pass.grad(beta_));
  }

  void reserveState(NodeState& state, int64_t batch) const override {
    state.floats.resize(static_cast<size_t>(2 * channels_ + batch * inSize));
  }

 private:
  // The kernel sees the batch as rows of channels.
  kernels::BatchNormGeometry at(const Pass& pass) const {
    kernels::BatchNormGeometry g;
    g.rows = pass.batch * (inSize / channels_);
    g.channels = channels_;
    g.epsilon = epsilon_;
    g.momentum = momentum_;
    return g;
  }

  int64_t channels_;
  float epsilon_, momentum_;
  bool frozen_;  // trainable false: inference mode in training too
  int gamma_ = -1, beta_ = -1, movingMean_ = -1, movingVariance_ = -1;
};

}  // namespace

void appendNodes(const BatchNormLayer& layer, NodeSink& sink) {
  sink.append<BatchNormNode>(layer, sink);
}

}  // namespace convkit::model
