// Batch normalization over the last (channel) axis of x[rows, channels], rows = N * H * W for
// NHWC images. Keras semantics: y = gamma * (x - mean) / sqrt(var + epsilon) + beta, and the
// moving statistics follow moving = moving * momentum + batch * (1 - momentum), using the batch's
// biased variance.
#pragma once

#include <cstdint>

namespace convkit::kernels {

struct BatchNormGeometry {
  int64_t rows = 0, channels = 0;
  float epsilon = 1e-3f;
  float momentum = 0.99f;
};

// Normalizes with the batch's statistics, writes savedMean / savedInvStd [channels] for backward,
// and updates movingMean / movingVariance in place.
void batchNormTrainingForward(const BatchNormGeometry& g, const float* x, const float* gamma, const float* beta,
                              float* movingMean, float* movingVariance, float* y, float* savedMean, float* savedInvStd);

// Normalizes with the moving statistics.
void batchNormInferenceForward(const BatchNormGeometry& g, const float* x, const float* gamma, const float* beta,
                               const float* movingMean, const float* movingVariance, float* y);

// Gradients of the training-mode forward: gradX, gradGamma, gradBeta overwritten.
void batchNormBackward(const BatchNormGeometry& g, const float* x, const float* gamma, const float* savedMean,
                       const float* savedInvStd, const float* gradY, float* gradX, float* gradGamma, float* gradBeta);

// Input gradient of the inference-mode forward (a frozen layer, as Keras runs one in training):
// gradX = gradY * gamma / sqrt(movingVariance + epsilon). The statistics are constants here, and
// a frozen layer's gamma and beta get no gradient.
void batchNormInferenceBackward(const BatchNormGeometry& g, const float* gamma, const float* movingVariance,
                                const float* gradY, float* gradX);

}  // namespace convkit::kernels
