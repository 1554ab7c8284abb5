#include "model/layers/depthwise_conv2d.h"

#include "kernels/depthwise_conv2d.h"

namespace convkit::model {
namespace {

class DepthwiseConv2dNode final : public UnaryNode {
 public:
  DepthwiseConv2dNode(const DepthwiseConv2dLayer& layer, NodeSink& sink)
      : UnaryNode(layer.inSize(), layer.outSize()),
        geometry_(layer.geometry),
        activation_(fusedIntoGemm(layer.activation)) {
    const auto& g = layer.geometry;
    kernel_ = sink.addParameter("depthwise_kernel", static_cast<size_t>(g.kernelHeight * g.kernelWidth * g.outChannels),
                                true);
    bias_ = layer.useBias ? sink.addParameter("bias", static_cast<size_t>(g.outChannels), true) : -1;
  }

  void forward(const Pass& pass, const float* in, float* out) const override {
    kernels::depthwiseConv2dForward(withBatch(geometry_, pass.batch), in, pass.value(kernel_), pass.value(bias_), out,
                                    activation_.kind, activation_.alpha);
  }

  void backward(const Pass& pass, const float* in, const float*, const float* gradOut, float* gradIn) const override {
    const kernels::Conv2dGeometry g = withBatch(geometry_, pass.batch);
    if (gradIn != nullptr) kernels::depthwiseConv2dBackwardInput(g, gradOut, pass.value(kernel_), gradIn);
    kernels::depthwiseConv2dBackwardParams(g, in, gradOut, pass.grad(kernel_), pass.grad(bias_));
  }

 private:
  kernels::Conv2dGeometry geometry_;
  ActivationFunction activation_;
  int kernel_ = -1;
  int bias_ = -1;
};

}  // namespace

void appendNodes(const DepthwiseConv2dLayer& layer, NodeSink& sink) {
  sink.append<DepthwiseConv2dNode>(layer, sink);
  appendActivationAfterGemm(layer.activation, layer.outSize(), layer.geometry.outChannels, sink);
}

}  // namespace convkit::model
