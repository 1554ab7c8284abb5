#include "kernels/dense.h"

#include "kernels/bias.h"
#include "kernels/gemm.h"

namespace convkit::kernels {

void denseForward(const DenseGeometry& g, const float* input, const float* kernel, const float* bias, float* output,
                  Activation activation, float activationAlpha) {
  gemm(Transpose::No, Transpose::No, g.batch, g.units, g.inFeatures, 1.0f, input, g.inFeatures, kernel, g.units, 0.0f,
       output, g.units, GemmEpilogue{bias, activation, activationAlpha});
}

void packDenseKernel(const DenseGeometry& g, const float* kernel, PackedB& packed) {
  packB(Transpose::No, g.inFeatures, g.units, kernel, g.units, packed);
}

void denseForward(const DenseGeometry& g, const float* input, const PackedB& kernel, const float* bias, float* output,
                  Activation activation, float activationAlpha) {
  gemmPackedB(Transpose::No, g.batch, 1.0f, input, g.inFeatures, kernel, 0.0f, output, g.units,
              GemmEpilogue{bias, activation, activationAlpha});
}

void denseBackwardInput(const DenseGeometry& g, const float* gradOutput, const float* kernel, float* gradInput) {
  gemm(Transpose::No, Transpose::Yes, g.batch, g.inFeatures, g.units, 1.0f, gradOutput, g.units, kernel, g.units, 0.0f,
       gradInput, g.inFeatures);
}

void denseBackwardParams(const DenseGeometry& g, const float* input, const float* gradOutput, float* gradKernel,
                         float* gradBias) {
  gemm(Transpose::Yes, Transpose::No, g.inFeatures, g.units, g.batch, 1.0f, input, g.inFeatures, gradOutput, g.units,
       0.0f, gradKernel, g.units);
  if (gradBias != nullptr) sumRows(g.batch, g.units, gradOutput, gradBias);
}

}  // namespace convkit::kernels
