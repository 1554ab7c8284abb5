// Activation functions, forward and backward. Elementwise ones treat the data as a flat array;
// softmax works over the last axis of a [rows, cols] matrix; maxout reduces groups of channels.
#pragma once

#include <cstdint>

#include "kernels/activation_kind.h"

namespace convkit::kernels {

// y = f(x) for count = rows * cols floats. alpha is the slope of leakyRelu / the scale of elu
// (the others take none). hardSigmoid is Keras 3's and PyTorch's relu6(x + 3) / 6, not tfjs's
// older 0.2x + 0.5; hardSwish is x * hardSigmoid(x); gelu is the exact x * Phi(x) (Keras's
// approximate=False); selu uses Keras's constants.
// y may alias x (in place).
void activationForward(Activation kind, float alpha, int64_t rows, int64_t cols, const float* x, float* y);

// gradX = f'(x) . gradY, given the forward input x and output y (each kind reads what it needs;
// softmax uses y only). gradX may alias gradY.
void activationBackward(Activation kind, float alpha, int64_t rows, int64_t cols, const float* x, const float* y,
                        const float* gradY, float* gradX);

// Linear, relu, and leakyRelu with a slope >= 0: the activations whose output has the sign of
// their input, so their derivative can be read from the output alone. Those are the ones a GEMM
// applies in its epilogue (the output is all that is kept) and whose backward max pooling can
// apply while it routes gradients.
inline bool derivativeFollowsFromOutput(Activation kind, float alpha) {
  return kind == Activation::Linear || kind == Activation::Relu || (kind == Activation::LeakyRelu && alpha >= 0.0f);
}

// That derivative where the output is <= 0 (it is 1 where the output is > 0): 1 for linear,
// 0 for relu, alpha for leakyRelu.
inline float derivativeAtNonPositiveOutput(Activation kind, float alpha) {
  if (kind == Activation::Relu) return 0.0f;
  return kind == Activation::LeakyRelu ? alpha : 1.0f;
}

// PReLU over x[rows, channels] with one slope per channel: y = x for x > 0, alpha[c] * x below.
void preluForward(int64_t rows, int64_t channels, const float* x, const float* alpha, float* y);

// gradX = (x > 0 ? 1 : alpha[c]) . gradY (skipped when gradX is null; the same one-sided
// derivative at 0 as leakyRelu's) and gradAlpha[c] = sum over rows of (x < 0 ? x : 0) . gradY,
// overwritten. gradX may alias gradY.
void preluBackward(int64_t rows, int64_t channels, const float* x, const float* alpha, const float* gradY, float* gradX,
                   float* gradAlpha);

// Maxout over the last axis: x[rows, units * pieces] -> y[rows, units] with
// y[r, u] = max over p of x[r, u * pieces + p] (groups of consecutive channels).
void maxoutForward(int64_t rows, int64_t units, int64_t pieces, const float* x, float* y);

// Routes gradY to the winning piece (first on ties), recomputed from x. gradX is overwritten.
void maxoutBackward(int64_t rows, int64_t units, int64_t pieces, const float* x, const float* gradY, float* gradX);

}  // namespace convkit::kernels
