// Fully connected layer: output[batch, units] = input[batch, in] * kernel[in, units] + bias[units],
// the kernel in Keras layout.
#pragma once

#include <cstdint>

#include "kernels/activation.h"
#include "kernels/gemm.h"

namespace convkit::kernels {

struct DenseGeometry {
  int64_t batch = 0, inFeatures = 0, units = 0;
};

// output = activation(input * kernel + bias). bias may be null; the activation is applied inside
// the GEMM and must satisfy canFuseIntoGemm.
void denseForward(const DenseGeometry& g, const float* input, const float* kernel, const float* bias, float* output,
                  Activation activation = Activation::Linear, float activationAlpha = 0.0f);

// The kernel packed for denseForward, for callers that run it many times with the same weights.
void packDenseKernel(const DenseGeometry& g, const float* kernel, PackedB& packed);

// denseForward with the kernel from packDenseKernel.
void denseForward(const DenseGeometry& g, const float* input, const PackedB& kernel, const float* bias, float* output,
                  Activation activation = Activation::Linear, float activationAlpha = 0.0f);

// gradInput = gradOutput * kernel^T, overwritten.
void denseBackwardInput(const DenseGeometry& g, const float* gradOutput, const float* kernel, float* gradInput);

// gradKernel = input^T * gradOutput and gradBias (nullable) = column sums of gradOutput,
// overwritten.
void denseBackwardParams(const DenseGeometry& g, const float* input, const float* gradOutput, float* gradKernel,
                         float* gradBias);

}  // namespace convkit::kernels
