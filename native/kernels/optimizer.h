// Parameter updates of the optimizers, one flat parameter array at a time, with Keras's update
// rules. Each updates param and its slot arrays in place.
#pragma once

#include <cstdint>

namespace convkit::kernels {

// Keras SGD: v = momentum * v - lr * g; p += v (nesterov: p += momentum * v - lr * g).
// velocity may be null when momentum == 0.
void sgdUpdate(int64_t count, float learningRate, float momentum, bool nesterov, float* param, const float* grad,
               float* velocity);

// Keras RMSprop (not centered, no momentum): ms = rho * ms + (1 - rho) * g^2;
// p -= lr * g / sqrt(ms + epsilon) (epsilon inside the root, as Keras and TensorFlow).
void rmspropUpdate(int64_t count, float learningRate, float rho, float epsilon, float* param, const float* grad,
                   float* meanSquare);

// Keras Adam / AdamW at 1-based step t: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// p -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + epsilon);
// with weightDecay > 0 (AdamW), first p -= lr * weightDecay * p (decoupled).
void adamUpdate(int64_t count, float learningRate, float beta1, float beta2, float epsilon, int64_t step,
                float weightDecay, float* param, const float* grad, float* m, float* v);

// Sum of squares of x, in double: gradient clipping by global norm sums this over parameters.
double sumOfSquares(int64_t count, const float* x);

// x *= factor.
void scaleInPlace(int64_t count, float factor, float* x);

}  // namespace convkit::kernels
