// Max and average pooling over NHWC tensors, windowed and global.
#pragma once

#include <cstdint>

#include "kernels/activation.h"

namespace convkit::kernels {

struct Pool2dGeometry {
  int64_t batch = 0, inHeight = 0, inWidth = 0, channels = 0;
  int64_t outHeight = 0, outWidth = 0;
  int64_t poolHeight = 0, poolWidth = 0;
  int64_t strideHeight = 1, strideWidth = 1;
  int64_t padTop = 0, padLeft = 0;  // bottom/right padding follows from the output size
};

// Padding never wins a max (it counts as -infinity).
void maxPool2dForward(const Pool2dGeometry& g, const float* input, float* output);

// Routes each output gradient to the input element that won the max (the first one on ties),
// recomputing the winner from input. gradInput is overwritten.
// When input is the output of an activation fused into the layer before (one for which
// derivativeFollowsFromOutput holds), passing it here multiplies each routed gradient by its
// derivative, read from the max: the gradient with respect to the activation's input, so the
// activation needs no backward pass of its own.
void maxPool2dBackward(const Pool2dGeometry& g, const float* input, const float* gradOutput,
                       float* gradInput, Activation inputActivation = Activation::Linear,
                       float activationAlpha = 0.0f);

// Averages over the window's elements that lie inside the input (padding excluded, as Keras).
void avgPool2dForward(const Pool2dGeometry& g, const float* input, float* output);

// gradInput is overwritten.
void avgPool2dBackward(const Pool2dGeometry& g, const float* gradOutput, float* gradInput);

// [batch, height, width, channels] -> [batch, channels]
void globalAvgPool2dForward(int64_t batch, int64_t height, int64_t width, int64_t channels,
                            const float* input, float* output);
void globalAvgPool2dBackward(int64_t batch, int64_t height, int64_t width, int64_t channels,
                             const float* gradOutput, float* gradInput);
void globalMaxPool2dForward(int64_t batch, int64_t height, int64_t width, int64_t channels,
                            const float* input, float* output);
void globalMaxPool2dBackward(int64_t batch, int64_t height, int64_t width, int64_t channels,
                             const float* input, const float* gradOutput, float* gradInput);

}  // namespace convkit::kernels
