// Max and average pooling over NHWC tensors, windowed and global.
#pragma once

#include <cstdint>

#include "kernels/activation.h"
#include "kernels/isa/dispatch.h"  // kWinnerIndexMask, kPositiveMaxBit

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
void maxPool2dBackward(const Pool2dGeometry& g, const float* input, const float* gradOutput, float* gradInput,
                       Activation inputActivation = Activation::Linear, float activationAlpha = 0.0f);

// Whether max pooling with this geometry can record its winners for the backward
// (maxPool2dForwardRecordingWinners): windows that neither overlap nor leave gaps (stride == pool
// on both axes), so each input pixel gets its gradient from one window at most, and of at most 128
// pixels, so a pixel's index within its window fits in 7 bits.
bool maxPoolRecordsWinners(const Pool2dGeometry& g);

// maxPool2dForward (the same output, bit for bit) that also records which pixel won each output
// element, so that training's backward needs neither the input nor a second search through it.
// winners holds one byte per output element, laid out like output: the row-major index, within
// the part of the window inside the input, of the first pixel equal to the max (0 when none is: a
// NaN max, which only the window's first pixel can hold), plus kPositiveMaxBit when the max is > 0
// (isa/dispatch.h; the derivative of a fused activation, read from the max, follows from that bit).
// Requires maxPoolRecordsWinners(g).
void maxPool2dForwardRecordingWinners(const Pool2dGeometry& g, const float* input, float* output, uint8_t* winners);

// maxPool2dBackward from the winners maxPool2dForwardRecordingWinners recorded instead of the
// input: the same gradInput, bit for bit (overwritten). Requires maxPoolRecordsWinners(g).
void maxPool2dBackwardFromWinners(const Pool2dGeometry& g, const uint8_t* winners, const float* gradOutput,
                                  float* gradInput, Activation inputActivation = Activation::Linear,
                                  float activationAlpha = 0.0f);

// Averages over the window's elements that lie inside the input (padding excluded, as Keras).
void avgPool2dForward(const Pool2dGeometry& g, const float* input, float* output);

// gradInput is overwritten.
void avgPool2dBackward(const Pool2dGeometry& g, const float* gradOutput, float* gradInput);

// [batch, height, width, channels] -> [batch, channels]
void globalAvgPool2dForward(int64_t batch, int64_t height, int64_t width, int64_t channels, const float* input,
                            float* output);
void globalAvgPool2dBackward(int64_t batch, int64_t height, int64_t width, int64_t channels, const float* gradOutput,
                             float* gradInput);
void globalMaxPool2dForward(int64_t batch, int64_t height, int64_t width, int64_t channels, const float* input,
                            float* output);
void globalMaxPool2dBackward(int64_t batch, int64_t height, int64_t width, int64_t channels, const float* input,
                             const float* gradOutput, float* gradInput);

}  // namespace convkit::kernels
