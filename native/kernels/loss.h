// Losses with their gradients. Each returns the mean loss over the batch (as Keras reports it) and,
// when grad is not null, writes d(mean loss)/d(prediction) there (already divided by the batch).
// A batch row is one class vector: for a spatial output the network passes one row per position
// (batch * height * width rows), which makes the mean Keras's mean over positions and samples.
//
// Cross-entropies from probabilities clip them to [eps, 1 - eps] with Keras's eps = 1e-7; the
// from-logits forms are exact and numerically stable (log-sum-exp), and are what the trainer uses
// when the last layer is a softmax (or sigmoid) feeding a cross-entropy.
#pragma once

#include <cstdint>

namespace convkit::kernels {

constexpr float kProbabilityEpsilon = 1e-7f;

// Softmax fused with categorical cross-entropy. logits, targets (one-hot or soft labels), grad:
// [batch, classes].
double softmaxCrossEntropyFromLogits(int64_t batch, int64_t classes, const float* logits, const float* targets,
                                     float* gradLogits);

// The same with integer class labels [batch]; every label must be in [0, classes).
double sparseSoftmaxCrossEntropyFromLogits(int64_t batch, int64_t classes, const float* logits, const int32_t* labels,
                                           float* gradLogits);

// From probabilities (the output of a softmax layer).
double categoricalCrossentropy(int64_t batch, int64_t classes, const float* probs, const float* targets,
                               float* gradProbs);
double sparseCategoricalCrossentropy(int64_t batch, int64_t classes, const float* probs, const int32_t* labels,
                                     float* gradProbs);

// Mean over all count = batch * outputs elements (Keras: mean over the last axis, then the batch).
double binaryCrossentropy(int64_t batch, int64_t outputs, const float* probs, const float* targets, float* gradProbs);
double binaryCrossentropyFromLogits(int64_t batch, int64_t outputs, const float* logits, const float* targets,
                                    float* gradLogits);
double meanSquaredError(int64_t batch, int64_t outputs, const float* predictions, const float* targets,
                        float* gradPredictions);

}  // namespace convkit::kernels
