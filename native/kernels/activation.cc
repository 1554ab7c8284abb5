#include "kernels/activation.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "runtime/thread_pool.h"

namespace convkit::kernels {
namespace {

// Stable for any x: exp never overflows.
float sigmoid(float x) {
  if (x >= 0.0f) return 1.0f / (1.0f + std::exp(-x));
  const float e = std::exp(x);
  return e / (1.0f + e);
}

float relu6(float x) {
  return x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x);
}

// log(1 + e^x) without overflow: log1p(e^-|x|) + max(x, 0).
float softplus(float x) {
  return std::log1p(std::exp(-std::fabs(x))) + std::max(x, 0.0f);
}

// SELU's constants, as Keras (and the paper, Klambauer et al. 2017) give them.
constexpr float kSeluAlpha = 1.6732632423543772f;
constexpr float kSeluScale = 1.0507009873554805f;

constexpr float kSqrtHalf = 0.70710678118654752f;
constexpr float kInverseSqrtTwoPi = 0.39894228040143268f;

// The exact (erf) GELU, x * Phi(x), with Phi(x) = erfc(-x / sqrt 2) / 2: erfc keeps Phi's tiny
// values for very negative x, which 1 + erf(x / sqrt 2) would cancel to 0.
float normalCdf(float x) {
  return 0.5f * std::erfc(-x * kSqrtHalf);
}

// Elementwise work is split over the thread pool in runs of this many floats: long enough that
// waking a worker pays, short enough that a layer's output spreads over every thread.
constexpr int64_t kElementsPerTask = 1 << 14;

// Applies f elementwise: one loop shape for every elementwise activation.
template <typename F>
void map(int64_t count, const float* x, float* y, F f) {
  runtime::parallelFor(count, kElementsPerTask, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = f(x[i]);
  });
}

// gradX = gradY * g(x, y), elementwise.
template <typename G>
void mapGradient(int64_t count, const float* x, const float* y, const float* gradY, float* gradX, G g) {
  runtime::parallelFor(count, kElementsPerTask, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) gradX[i] = gradY[i] * g(x[i], y[i]);
  });
}

void softmaxRows(int64_t rows, int64_t cols, const float* x, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = x + r * cols;
    float* out = y + r * cols;
    const float max = *std::max_element(in, in + cols);
    double sum = 0.0;
    for (int64_t c = 0; c < cols; ++c) {
      out[c] = std::exp(in[c] - max);
      sum += out[c];
    }
    const auto scale = static_cast<float>(1.0 / sum);
    for (int64_t c = 0; c < cols; ++c) out[c] *= scale;
  }
}

// gradX = y * (gradY - sum(gradY * y)) per row: the softmax Jacobian applied to gradY.
void softmaxGradientRows(int64_t rows, int64_t cols, const float* y, const float* gradY, float* gradX) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* yr = y + r * cols;
    const float* gy = gradY + r * cols;
    float* gx = gradX + r * cols;
    double dot = 0.0;
    for (int64_t c = 0; c < cols; ++c) dot += static_cast<double>(gy[c]) * yr[c];
    const auto d = static_cast<float>(dot);
    for (int64_t c = 0; c < cols; ++c) gx[c] = yr[c] * (gy[c] - d);
  }
}

}  // namespace

void activationForward(Activation kind, float alpha, int64_t rows, int64_t cols, const float* x, float* y) {
  const int64_t count = rows * cols;
  switch (kind) {
    case Activation::Linear:
      if (y != x) std::copy(x, x + count, y);
      return;
    case Activation::Relu:
      // Written so NaN passes through (as TensorFlow's relu): a diverging run stays visible.
      return map(count, x, y, [](float v) { return v < 0.0f ? 0.0f : v; });
    case Activation::LeakyRelu: return map(count, x, y, [alpha](float v) { return v < 0.0f ? alpha * v : v; });
    case Activation::Elu: return map(count, x, y, [alpha](float v) { return v > 0.0f ? v : alpha * std::expm1(v); });
    case Activation::Sigmoid: return map(count, x, y, sigmoid);
    case Activation::Tanh: return map(count, x, y, [](float v) { return std::tanh(v); });
    case Activation::Softmax: return softmaxRows(rows, cols, x, y);
    case Activation::Relu6: return map(count, x, y, relu6);
    case Activation::Swish: return map(count, x, y, [](float v) { return v * sigmoid(v); });
    case Activation::HardSwish: return map(count, x, y, [](float v) { return v * relu6(v + 3.0f) / 6.0f; });
    case Activation::HardSigmoid: return map(count, x, y, [](float v) { return relu6(v + 3.0f) / 6.0f; });
    case Activation::Gelu: return map(count, x, y, [](float v) { return v * normalCdf(v); });
    case Activation::Softplus: return map(count, x, y, softplus);
    case Activation::Selu:
      return map(count, x, y, [](float v) { return kSeluScale * (v > 0.0f ? v : kSeluAlpha * std::expm1(v)); });
    case Activation::Mish: return map(count, x, y, [](float v) { return v * std::tanh(softplus(v)); });
  }
}

void activationBackward(Activation kind, float alpha, int64_t rows, int64_t cols, const float* x, const float* y,
                        const float* gradY, float* gradX) {
  const int64_t count = rows * cols;
  switch (kind) {
    case Activation::Linear:
      if (gradX != gradY) std::copy(gradY, gradY + count, gradX);
      return;
    case Activation::Relu:
      return mapGradient(count, x, y, gradY, gradX, [](float v, float) { return v > 0.0f ? 1.0f : 0.0f; });
    case Activation::LeakyRelu:
      return mapGradient(count, x, y, gradY, gradX, [alpha](float v, float) { return v > 0.0f ? 1.0f : alpha; });
    case Activation::Elu:
      // For x <= 0, d/dx alpha * (e^x - 1) = alpha * e^x = y + alpha.
      return mapGradient(count, x, y, gradY, gradX,
                         [alpha](float v, float out) { return v > 0.0f ? 1.0f : out + alpha; });
    case Activation::Sigmoid:
      return mapGradient(count, x, y, gradY, gradX, [](float, float out) { return out * (1.0f - out); });
    case Activation::Tanh:
      return mapGradient(count, x, y, gradY, gradX, [](float, float out) { return 1.0f - out * out; });
    case Activation::Softmax: return softmaxGradientRows(rows, cols, y, gradY, gradX);
    // At their kinks relu6, hardSigmoid and hardSwish take PyTorch's (and, for relu6, TensorFlow's)
    // one-sided derivatives: relu6' and hardSigmoid' are 0 there; hardSwish' is 0 below -3 and
    // (2x + 3) / 6 on [-3, 3].
    case Activation::Relu6:
      return mapGradient(count, x, y, gradY, gradX, [](float v, float) { return v > 0.0f && v < 6.0f ? 1.0f : 0.0f; });
    case Activation::Swish:
      return mapGradient(count, x, y, gradY, gradX, [](float v, float) {
        const float s = sigmoid(v);
        return s * (1.0f + v * (1.0f - s));
      });
    case Activation::HardSwish:
      return mapGradient(count, x, y, gradY, gradX, [](float v, float) {
        if (v < -3.0f) return 0.0f;
        return v <= 3.0f ? (2.0f * v + 3.0f) / 6.0f : 1.0f;
      });
    case Activation::HardSigmoid:
      return mapGradient(count, x, y, gradY, gradX,
                         [](float v, float) { return v > -3.0f && v < 3.0f ? 1.0f / 6.0f : 0.0f; });
    case Activation::Gelu:
      return mapGradient(count, x, y, gradY, gradX,
                         [](float v, float) { return normalCdf(v) + v * kInverseSqrtTwoPi * std::exp(-0.5f * v * v); });
    case Activation::Softplus: return mapGradient(count, x, y, gradY, gradX, [](float v, float) { return sigmoid(v); });
    case Activation::Selu:
      // For x <= 0, d/dx scale * alpha * (e^x - 1) = scale * alpha * e^x = y + scale * alpha.
      return mapGradient(count, x, y, gradY, gradX,
                         [](float v, float out) { return v > 0.0f ? kSeluScale : out + kSeluScale * kSeluAlpha; });
    case Activation::Mish:
      // d/dx x * tanh(sp(x)) = tanh(sp) + x * (1 - tanh^2(sp)) * sigmoid(x), as sp' = sigmoid.
      return mapGradient(count, x, y, gradY, gradX, [](float v, float) {
        const float t = std::tanh(softplus(v));
        return t + v * (1.0f - t * t) * sigmoid(v);
      });
  }
}

void preluForward(int64_t rows, int64_t channels, const float* x, const float* alpha, float* y) {
  runtime::parallelFor(rows, std::max<int64_t>(1, kElementsPerTask / channels), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* in = x + r * channels;
      float* out = y + r * channels;
      for (int64_t c = 0; c < channels; ++c) out[c] = in[c] < 0.0f ? alpha[c] * in[c] : in[c];
    }
  });
}

void preluBackward(int64_t rows, int64_t channels, const float* x, const float* alpha, const float* gradY, float* gradX,
                   float* gradAlpha) {
  // The slopes' gradient sums over rows: one thread, in double, reading x and gradY once more
  // beside the elementwise gradX.
  std::vector<double> sums(static_cast<size_t>(channels), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = x + r * channels;
    const float* gy = gradY + r * channels;
    for (int64_t c = 0; c < channels; ++c) {
      if (in[c] < 0.0f) sums[static_cast<size_t>(c)] += static_cast<double>(in[c]) * gy[c];
    }
  }
  for (int64_t c = 0; c < channels; ++c) gradAlpha[c] = static_cast<float>(sums[static_cast<size_t>(c)]);
  if (gradX == nullptr) return;
  runtime::parallelFor(rows, std::max<int64_t>(1, kElementsPerTask / channels), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* in = x + r * channels;
      const float* gy = gradY + r * channels;
      float* gx = gradX + r * channels;
      for (int64_t c = 0; c < channels; ++c) gx[c] = in[c] > 0.0f ? gy[c] : alpha[c] * gy[c];
    }
  });
}

namespace {

// Index within its group of the first maximal piece of x[r, u * pieces ...].
int64_t winningPiece(const float* group, int64_t pieces) {
  return std::max_element(group, group + pieces) - group;
}

}  // namespace

void maxoutForward(int64_t rows, int64_t units, int64_t pieces, const float* x, float* y) {
  for (int64_t i = 0; i < rows * units; ++i) {
    const float* group = x + i * pieces;
    y[i] = group[winningPiece(group, pieces)];
  }
}

void maxoutBackward(int64_t rows, int64_t units, int64_t pieces, const float* x, const float* gradY, float* gradX) {
  for (int64_t i = 0; i < rows * units; ++i) {
    const float* group = x + i * pieces;
    float* gradGroup = gradX + i * pieces;
    std::fill(gradGroup, gradGroup + pieces, 0.0f);
    gradGroup[winningPiece(group, pieces)] = gradY[i];
  }
}

}  // namespace convkit::kernels
