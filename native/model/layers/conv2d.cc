#include "model/layers/conv2d.h"

#include "model/packed_kernel_cache.h"

namespace convkit::model {
namespace {

class Conv2dNode final : public UnaryNode {
 public:
  Conv2dNode(const Conv2dLayer& layer, const char* kernelName, NodeSink& sink)
      : UnaryNode(layer.inSize(), layer.outSize()),
        geometry_(layer.geometry),
        activation_(fusedIntoGemm(layer.activation)) {
    const auto& g = layer.geometry;
    kernel_ = sink.addParameter(
        kernelName, static_cast<size_t>(g.kernelHeight * g.kernelWidth * g.inChannels * g.outChannels), true);
    bias_ = layer.useBias ? sink.addParameter("bias", static_cast<size_t>(g.outChannels), true) : -1;
  }

  void forward(const Pass& pass, const float* in, float* out) const override {
    const kernels::Conv2dGeometry g = withBatch(geometry_, pass.batch);
    const auto packed = packedKernel_.get(pass.weightsVersion, [&](kernels::PackedConv2dKernel& target) {
      kernels::packConv2dKernel(g, pass.value(kernel_), target);
    });
    kernels::conv2dForward(g, in, *packed, pass.value(bias_), out, activation_.kind, activation_.alpha);
  }

  void backward(const Pass& pass, const float* in, const float*, const float* gradOut, float* gradIn) const override {
    kernels::conv2dBackward(withBatch(geometry_, pass.batch), in, gradOut, pass.value(kernel_), gradIn,
                            pass.grad(kernel_), pass.grad(bias_));
  }

  double forwardFlopsPerSample() const override {
    const auto& g = geometry_;
    return 2.0 * static_cast<double>(g.outHeight * g.outWidth * g.outChannels) *
           static_cast<double>(g.kernelHeight * g.kernelWidth * g.inChannels);
  }

 private:
  kernels::Conv2dGeometry geometry_;
  ActivationFunction activation_;
  int kernel_ = -1;
  int bias_ = -1;
  PackedKernelCache<kernels::PackedConv2dKernel> packedKernel_;
};

}  // namespace

void appendNodes(const Conv2dLayer& layer, NodeSink& sink) {
  appendConv2dNodes(layer, "kernel", sink);
}

void appendConv2dNodes(const Conv2dLayer& layer, const char* kernelName, NodeSink& sink) {
  sink.append<Conv2dNode>(layer, kernelName, sink);
  appendActivationAfterGemm(layer.activation, layer.outSize(), layer.geometry.outChannels, sink);
}

}  // namespace convkit::model
