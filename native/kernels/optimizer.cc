#include "kernels/optimizer.h"

#include <cmath>

namespace convkit::kernels {

void sgdUpdate(int64_t count, float learningRate, float momentum, bool nesterov, float* param, const float* grad,
               float* velocity) {
  if (velocity == nullptr) {
    for (int64_t i = 0; i < count; ++i) param[i] -= learningRate * grad[i];
    return;
  }
  for (int64_t i = 0; i < count; ++i) {
    const float step = learningRate * grad[i];
    const float v = momentum * velocity[i] - step;
    velocity[i] = v;
    param[i] += nesterov ? momentum * v - step : v;
  }
}

void rmspropUpdate(int64_t count, float learningRate, float rho, float epsilon, float* param, const float* grad,
                   float* meanSquare) {
  const float forget = 1.0f - rho;
  for (int64_t i = 0; i < count; ++i) {
    const float g = grad[i];
    const float ms = rho * meanSquare[i] + forget * g * g;
    meanSquare[i] = ms;
    param[i] -= learningRate * g / std::sqrt(ms + epsilon);
  }
}

void adamUpdate(int64_t count, float learningRate, float beta1, float beta2, float epsilon, int64_t step,
                float weightDecay, float* param, const float* grad, float* m, float* v) {
  // The bias corrections fold into one step size, computed in double: beta^t for a large t is far
  // below float resolution of 1 - beta^t.
  const double t = static_cast<double>(step);
  const float stepSize = static_cast<float>(learningRate * std::sqrt(1.0 - std::pow(static_cast<double>(beta2), t)) /
                                            (1.0 - std::pow(static_cast<double>(beta1), t)));
  const float decay = learningRate * weightDecay;
  const float forget1 = 1.0f - beta1;
  const float forget2 = 1.0f - beta2;
  for (int64_t i = 0; i < count; ++i) {
    const float g = grad[i];
    const float mi = beta1 * m[i] + forget1 * g;
    const float vi = beta2 * v[i] + forget2 * g * g;
    m[i] = mi;
    v[i] = vi;
    float p = param[i];
    // Skipped rather than multiplied by 0 when off, so an infinite parameter stays infinite.
    if (weightDecay > 0.0f) p -= decay * p;
    param[i] = p - stepSize * mi / (std::sqrt(vi) + epsilon);
  }
}

double sumOfSquares(int64_t count, const float* x) {
  // Independent partial sums: a single running double sum is a serial dependency chain that
  // compilers may not reorder, whereas these lanes vectorize.
  constexpr int64_t kLanes = 8;
  double partial[kLanes] = {};
  const int64_t whole = count - count % kLanes;
  for (int64_t i = 0; i < whole; i += kLanes) {
    for (int64_t lane = 0; lane < kLanes; ++lane) {
      const double value = x[i + lane];
      partial[lane] += value * value;
    }
  }
  double sum = 0.0;
  for (int64_t i = whole; i < count; ++i) sum += static_cast<double>(x[i]) * x[i];
  for (const double lane : partial) sum += lane;
  return sum;
}

void scaleInPlace(int64_t count, float factor, float* x) {
  for (int64_t i = 0; i < count; ++i) x[i] *= factor;
}

}  // namespace convkit::kernels
