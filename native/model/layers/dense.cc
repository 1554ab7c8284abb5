#include "model/layers/dense.h"

#include "kernels/gemm.h"
#include "model/packed_kernel_cache.h"

namespace convkit::model {
namespace {

class DenseNode final : public UnaryNode {
 public:
  DenseNode(const DenseLayer& layer, NodeSink& sink)
      : UnaryNode(layer.inSize(), layer.outSize()),
        geometry_(layer.geometry),
        activation_(fusedIntoGemm(layer.activation)) {
    kernel_ = sink.addParameter("kernel", static_cast<size_t>(geometry_.inFeatures * geometry_.units), true);
    bias_ = layer.useBias ? sink.addParameter("bias", static_cast<size_t>(geometry_.units), true) : -1;
  }

  void forward(const Pass& pass, const float* in, float* out) const override {
    const kernels::DenseGeometry g = withBatch(geometry_, pass.batch);
    const auto packed = packedKernel_.get(pass.weightsVersion, [&](kernels::PackedB& target) {
      kernels::packDenseKernel(g, pass.value(kernel_), target);
    });
    kernels::denseForward(g, in, *packed, pass.value(bias_), out, activation_.kind, activation_.alpha);
  }

  void backward(const Pass& pass, const float* in, const float*, const float* gradOut, float* gradIn) const override {
    const kernels::DenseGeometry g = withBatch(geometry_, pass.batch);
    if (gradIn != nullptr) kernels::denseBackwardInput(g, gradOut, pass.value(kernel_), gradIn);
    kernels::denseBackwardParams(g, in, gradOut, pass.grad(kernel_), pass.grad(bias_));
  }

  double forwardFlopsPerSample() const override {
    return 2.0 * static_cast<double>(geometry_.inFeatures) * static_cast<double>(geometry_.units);
  }

 private:
  kernels::DenseGeometry geometry_;
  ActivationFunction activation_;
  int kernel_ = -1;
  int bias_ = -1;
  PackedKernelCache<kernels::PackedB> packedKernel_;
};

}  // namespace

void appendNodes(const DenseLayer& layer, NodeSink& sink) {
  sink.append<DenseNode>(layer, sink);
  appendActivationAfterGemm(layer.activation, layer.outSize(), layer.geometry.units, sink);
}

}  // namespace convkit::model
