#include "kernels/loss.h"

#include <algorithm>
#include <cmath>

namespace convkit::kernels {
namespace {

// log(sum(exp(z))) over one row, stable for any magnitude.
double logSumExp(const float* z, int64_t n) {
  const float max = *std::max_element(z, z + n);
  double sum = 0.0;
  for (int64_t c = 0; c < n; ++c) sum += std::exp(static_cast<double>(z[c]) - max);
  return max + std::log(sum);
}

// Cross-entropy of one row of logits against target weights t (one-hot, soft, or a single label
// when t is null). Writes d/dz = softmax(z) * sum(t) - t, scaled by `scale`, when grad is set.
double softmaxCrossEntropyRow(const float* z, int64_t n, const float* t, int32_t label, float scale, float* grad) {
  const double lse = logSumExp(z, n);
  double loss = 0.0;
  double targetSum = 0.0;
  if (t != nullptr) {
    for (int64_t c = 0; c < n; ++c) {
      loss += t[c] * (lse - z[c]);
      targetSum += t[c];
    }
  } else {
    loss = lse - z[label];
    targetSum = 1.0;
  }
  if (grad != nullptr) {
    for (int64_t c = 0; c < n; ++c) {
      const double target = t != nullptr ? t[c] : (c == label ? 1.0 : 0.0);
      grad[c] = static_cast<float>((std::exp(z[c] - lse) * targetSum - target) * scale);
    }
  }
  return loss;
}

// Keras's cross-entropy from probabilities for one row: q = p / sum(p), clipped to [eps, 1 - eps],
// loss = -sum t log q. The gradient flows through the renormalization; clipped entries pass none.
double probabilityCrossEntropyRow(const float* p, int64_t n, const float* t, int32_t label, float scale, float* grad) {
  double sum = 0.0;
  for (int64_t c = 0; c < n; ++c) sum += p[c];
  sum = std::max(sum, static_cast<double>(kProbabilityEpsilon));
  double loss = 0.0;
  double weighted = 0.0;  // sum over c of dL/dq_c * q_c
  for (int64_t c = 0; c < n; ++c) {
    const double target = t != nullptr ? t[c] : (c == label ? 1.0 : 0.0);
    if (target == 0.0) continue;
    const double q = p[c] / sum;
    const double clipped = std::clamp(q, static_cast<double>(kProbabilityEpsilon), 1.0 - kProbabilityEpsilon);
    loss -= target * std::log(clipped);
    if (clipped == q) weighted += -target;  // (-target / q) * q
  }
  if (grad != nullptr) {
    for (int64_t c = 0; c < n; ++c) {
      const double target = t != nullptr ? t[c] : (c == label ? 1.0 : 0.0);
      const double q = p[c] / sum;
      const bool clipped = q < kProbabilityEpsilon || q > 1.0 - kProbabilityEpsilon;
      const double dq = (target == 0.0 || clipped) ? 0.0 : -target / q;
      grad[c] = static_cast<float>((dq - weighted) / sum * scale);
    }
  }
  return loss;
}

// Sums rowLoss(row, grad row) over the batch and returns the mean.
template <typename RowLoss>
double meanOverRows(int64_t batch, int64_t width, float* grad, RowLoss rowLoss) {
  double total = 0.0;
  for (int64_t b = 0; b < batch; ++b) total += rowLoss(b, grad != nullptr ? grad + b * width : nullptr);
  return total / static_cast<double>(batch);
}

}  // namespace

double softmaxCrossEntropyFromLogits(int64_t batch, int64_t classes, const float* logits, const float* targets,
                                     float* gradLogits) {
  const float scale = 1.0f / static_cast<float>(batch);
  return meanOverRows(batch, classes, gradLogits, [&](int64_t b, float* grad) {
    return softmaxCrossEntropyRow(logits + b * classes, classes, targets + b * classes, 0, scale, grad);
  });
}

double sparseSoftmaxCrossEntropyFromLogits(int64_t batch, int64_t classes, const float* logits, const int32_t* labels,
                                           float* gradLogits) {
  const float scale = 1.0f / static_cast<float>(batch);
  return meanOverRows(batch, classes, gradLogits, [&](int64_t b, float* grad) {
    return softmaxCrossEntropyRow(logits + b * classes, classes, nullptr, labels[b], scale, grad);
  });
}

double categoricalCrossentropy(int64_t batch, int64_t classes, const float* probs, const float* targets,
                               float* gradProbs) {
  const float scale = 1.0f / static_cast<float>(batch);
  return meanOverRows(batch, classes, gradProbs, [&](int64_t b, float* grad) {
    return probabilityCrossEntropyRow(probs + b * classes, classes, targets + b * classes, 0, scale, grad);
  });
}

double sparseCategoricalCrossentropy(int64_t batch, int64_t classes, const float* probs, const int32_t* labels,
                                     float* gradProbs) {
  const float scale = 1.0f / static_cast<float>(batch);
  return meanOverRows(batch, classes, gradProbs, [&](int64_t b, float* grad) {
    return probabilityCrossEntropyRow(probs + b * classes, classes, nullptr, labels[b], scale, grad);
  });
}

double binaryCrossentropy(int64_t batch, int64_t outputs, const float* probs, const float* targets, float* gradProbs) {
  const int64_t count = batch * outputs;
  const double eps = kProbabilityEpsilon;
  double total = 0.0;
  for (int64_t i = 0; i < count; ++i) {
    const double p = std::clamp(static_cast<double>(probs[i]), eps, 1.0 - eps);
    const double t = targets[i];
    total -= t * std::log(p) + (1.0 - t) * std::log(1.0 - p);
    if (gradProbs != nullptr) {
      // Clipped probabilities pass no gradient (as the clip in Keras's graph).
      const bool clipped = p != probs[i];
      gradProbs[i] = clipped ? 0.0f : static_cast<float>((p - t) / (p * (1.0 - p)) / static_cast<double>(count));
    }
  }
  return total / static_cast<double>(count);
}

double binaryCrossentropyFromLogits(int64_t batch, int64_t outputs, const float* logits, const float* targets,
                                    float* gradLogits) {
  const int64_t count = batch * outputs;
  double total = 0.0;
  for (int64_t i = 0; i < count; ++i) {
    const double z = logits[i];
    const double t = targets[i];
    // max(z, 0) - z t + log(1 + e^-|z|): the stable form of -t log s(z) - (1 - t) log(1 - s(z)).
    total += std::max(z, 0.0) - z * t + std::log1p(std::exp(-std::abs(z)));
    if (gradLogits != nullptr) {
      const double s = z >= 0.0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z));
      gradLogits[i] = static_cast<float>((s - t) / static_cast<double>(count));
    }
  }
  return total / static_cast<double>(count);
}

double meanSquaredError(int64_t batch, int64_t outputs, const float* predictions, const float* targets,
                        float* gradPredictions) {
  const int64_t count = batch * outputs;
  double total = 0.0;
  for (int64_t i = 0; i < count; ++i) {
    const double diff = static_cast<double>(predictions[i]) - targets[i];
    total += diff * diff;
    if (gradPredictions != nullptr) gradPredictions[i] = static_cast<float>(2.0 * diff / static_cast<double>(count));
  }
  return total / static_cast<double>(count);
}

}  // namespace convkit::kernels
