// Depthwise 2-D convolution over NHWC tensors (Keras's DepthwiseConv2D, the first half of
// SeparableConv2D): each input channel c is convolved with its own depthMultiplier filters, giving
// output channels c * M + m. The kernel has Keras's layout [kh, kw, C, M].
//
// It moves far more bytes than it multiplies, so it is computed directly (no im2col, no GEMM),
// with the channels innermost: every loop over channels runs over contiguous floats and vectorizes
// at the baseline ISA, and the common depth multiplier 1 sums each pixel's window through the
// dispatched ISA's kernel (isa/depthwise_taps.h), its accumulators in registers across the taps. The forward and the
// input gradient are spread over the thread pool by rows (batch * output rows, batch * input rows), each element
// computed by one thread; the kernel and bias gradients sum per block of rows fixed by the geometry, then add the
// blocks in order. So no result depends on the number of threads.
#pragma once

#include <cstdint>

#include "kernels/activation_kind.h"
#include "kernels/conv2d.h"

namespace convkit::kernels {

// The geometry is Conv2dGeometry's, with outChannels = inChannels * M (the depth multiplier).
inline int64_t depthMultiplier(const Conv2dGeometry& g) {
  return g.outChannels / g.inChannels;
}

// output[n, oy, ox, c*M + m] = activation(bias[c*M + m] +
//     sum over ky, kx of kernel[ky, kx, c, m] * input[n, oy*sh - padTop + ky*dh, ox*sw - padLeft + kx*dw, c])
// bias may be null; the activation must satisfy canFuseIntoGemm (linear, relu, leakyRelu).
void depthwiseConv2dForward(const Conv2dGeometry& g, const float* input, const float* kernel, const float* bias,
                            float* output, Activation activation = Activation::Linear, float activationAlpha = 0.0f);

// gradInput = d(loss)/d(input), overwritten.
void depthwiseConv2dBackwardInput(const Conv2dGeometry& g, const float* gradOutput, const float* kernel,
                                  float* gradInput);

// gradKernel and gradBias (nullable) = d(loss)/d(parameters) summed over the batch, overwritten.
void depthwiseConv2dBackwardParams(const Conv2dGeometry& g, const float* input, const float* gradOutput,
                                   float* gradKernel, float* gradBias);

}  // namespace convkit::kernels
