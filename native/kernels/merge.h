// Merging several tensors of one sample into one (Keras's merge layers): elementwise sum, mean,
// maximum and product, and concatenation along the last (channel) axis. Inputs are given as
// arrays of pointers; a null input gradient is skipped (the network's input needs none).
#pragma once

#include <cstdint>

namespace convkit::kernels {

// out = in[0] + ... + in[inputs - 1], count floats each.
void addForward(int64_t count, int64_t inputs, const float* const* in, float* out);

// out = (in[0] + ... + in[inputs - 1]) / inputs; backward: gradIn[k] = gradOut / inputs.
void averageForward(int64_t count, int64_t inputs, const float* const* in, float* out);
void averageBackward(int64_t count, int64_t inputs, const float* gradOut, float* const* gradIn);

// out = elementwise maximum; backward routes each gradient to the first input holding the maximum.
void maximumForward(int64_t count, int64_t inputs, const float* const* in, float* out);
void maximumBackward(int64_t count, int64_t inputs, const float* const* in, const float* gradOut, float* const* gradIn);

// out[b, p, c] = product over k of in[k][b, p, c], or of in[k][b, c] for an input that is
// broadcast over positions (one value per sample and channel: a squeeze-excite gate). batch *
// positions * channels floats out; broadcast[k] says which inputs are per channel. Backward:
// gradIn[k] = gradOut times the product of the other inputs, summed over positions for a
// broadcast input.
void multiplyForward(int64_t batch, int64_t positions, int64_t channels, int64_t inputs, const uint8_t* broadcast,
                     const float* const* in, float* out);
void multiplyBackward(int64_t batch, int64_t positions, int64_t channels, int64_t inputs, const uint8_t* broadcast,
                      const float* const* in, const float* gradOut, float* const* gradIn);

// Concatenation along the last axis: at each of `rows` positions, input k's channels[k] values
// one after the other. Backward splits gradOut the same way.
void concatenateForward(int64_t rows, int64_t inputs, const int64_t* channels, const float* const* in, float* out);
void concatenateBackward(int64_t rows, int64_t inputs, const int64_t* channels, const float* gradOut,
                         float* const* gradIn);

}  // namespace convkit::kernels
