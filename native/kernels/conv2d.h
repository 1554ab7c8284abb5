// 2-D convolution over NHWC tensors with Keras-layout kernels [kh, kw, inC, outC], as GEMM.
//
// Per image, the im2col matrix has one row per output pixel and one column per (ky, kx, ci): with
// the kernel read as a [kh*kw*inC, outC] matrix, output = im2col * kernel lands directly in NHWC.
// Three ways to form that product, by geometry:
// - a 1x1, stride-1, unpadded convolution is already that product over the whole batch;
// - with 8+ input channels the GEMM reads the input in place through a table of pointers per
//   output pixel and tap (gemmIndirect), and 3x3 stride-1 layers whose output 4x4 blocks cover
//   with little waste use Winograd's F(4x4, 3x3) instead (winograd.h);
// - the rest copy the im2col matrix per chunk of images (transposed for short kernel rows).
// The input gradient takes the same routes where they pay, else GEMM + col2im. Images are spread
// over the thread pool in fixed chunks, so results do not depend on the number of threads; the
// scratch is per thread and reused across calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/activation.h"
#include "kernels/gemm.h"

namespace convkit::kernels {

struct Conv2dGeometry {
  int64_t batch = 0, inHeight = 0, inWidth = 0, inChannels = 0;
  int64_t outHeight = 0, outWidth = 0, outChannels = 0;
  int64_t kernelHeight = 0, kernelWidth = 0;
  int64_t strideHeight = 1, strideWidth = 1;
  int64_t dilationHeight = 1, dilationWidth = 1;
  int64_t padTop = 0, padLeft = 0;  // bottom/right padding follows from the output size
};

// output[n, oy, ox, co] = activation(bias[co] + sum kernel[ky, kx, ci, co] * input[n, iy, ix, ci]).
// bias may be null; the activation is applied inside the GEMM and must satisfy canFuseIntoGemm.
void conv2dForward(const Conv2dGeometry& g, const float* input, const float* kernel, const float* bias, float* output,
                   Activation activation = Activation::Linear, float activationAlpha = 0.0f);

// The kernel packed the way conv2dForward multiplies by it, for callers that run the forward many
// times with the same weights (inference, over slices and calls): for the GEMM, or transformed
// for Winograd's 36 GEMMs (winograd.h), whichever the geometry takes. It depends on the kernel's
// shape and channels only, not on the batch.
struct PackedConv2dKernel {
  PackedB gemm;
  std::vector<PackedB> winograd;
};

void packConv2dKernel(const Conv2dGeometry& g, const float* kernel, PackedConv2dKernel& packed);

// conv2dForward with the kernel from packConv2dKernel.
void conv2dForward(const Conv2dGeometry& g, const float* input, const PackedConv2dKernel& kernel, const float* bias,
                   float* output, Activation activation = Activation::Linear, float activationAlpha = 0.0f);

// gradInput = d(loss)/d(input), overwritten.
void conv2dBackwardInput(const Conv2dGeometry& g, const float* gradOutput, const float* kernel, float* gradInput);

// gradKernel and gradBias (nullable) = d(loss)/d(parameters) summed over the batch, overwritten.
void conv2dBackwardParams(const Conv2dGeometry& g, const float* input, const float* gradOutput, float* gradKernel,
                          float* gradBias);

// conv2dBackwardInput (unless gradInput is null) and conv2dBackwardParams in one call, with the same
// results bit for bit: under Winograd the two gradients share the transformed output gradient.
void conv2dBackward(const Conv2dGeometry& g, const float* input, const float* gradOutput, const float* kernel,
                    float* gradInput, float* gradKernel, float* gradBias);

}  // namespace convkit::kernels
