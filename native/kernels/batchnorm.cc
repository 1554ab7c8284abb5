#include "kernels/batchnorm.h"

#include <algorithm>
#include <cmath>

namespace convkit::kernels {
namespace {

// Channels are processed in blocks of this many, so per-channel accumulators and coefficients live
// on the stack (no allocation) while the inner loops still run over a row's contiguous channels.
constexpr int64_t kChannelBlock = 64;

// One block of channels [first, first + width).
struct ChannelBlock {
  int64_t first;
  int64_t width;
};

template <typename Visit>
void forEachChannelBlock(const BatchNormGeometry& g, Visit visit) {
  for (int64_t first = 0; first < g.channels; first += kChannelBlock) {
    visit(ChannelBlock{first, std::min(kChannelBlock, g.channels - first)});
  }
}

// Calls visit(index, j) for every element of the block: index into the [rows, channels] array and
// j = channel - first. Every per-channel sum and every elementwise pass below is this traversal.
template <typename Visit>
void forEachElement(const BatchNormGeometry& g, ChannelBlock block, Visit visit) {
  for (int64_t r = 0; r < g.rows; ++r) {
    const int64_t rowStart = r * g.channels + block.first;
    for (int64_t j = 0; j < block.width; ++j) visit(rowStart + j, j);
  }
}

// y = (x - mean) * scale + shift per channel of the block; mean, scale and shift are block-local.
// Subtracting the mean before scaling keeps y accurate when |mean| is large against the spread.
void normalize(const BatchNormGeometry& g, ChannelBlock block, const float* x, const float* mean, const float* scale,
               const float* shift, float* y) {
  forEachElement(g, block, [&](int64_t i, int64_t j) { y[i] = (x[i] - mean[j]) * scale[j] + shift[j]; });
}

float invStd(double variance, float epsilon) {
  return static_cast<float>(1.0 / std::sqrt(variance + static_cast<double>(epsilon)));
}

}  // namespace

void batchNormTrainingForward(const BatchNormGeometry& g, const float* x, const float* gamma, const float* beta,
                              float* movingMean, float* movingVariance, float* y, float* savedMean,
                              float* savedInvStd) {
  const double rows = static_cast<double>(g.rows);
  const double momentum = g.momentum;
  forEachChannelBlock(g, [&](ChannelBlock block) {
    // Sums in double, and the variance as the mean of squared deviations (two passes) rather than
    // E[x^2] - mean^2, which cancels catastrophically when |mean| is large against the spread.
    double mean[kChannelBlock] = {};
    double squares[kChannelBlock] = {};
    forEachElement(g, block, [&](int64_t i, int64_t j) { mean[j] += x[i]; });
    for (int64_t j = 0; j < block.width; ++j) mean[j] /= rows;
    forEachElement(g, block, [&](int64_t i, int64_t j) {
      const double deviation = x[i] - mean[j];
      squares[j] += deviation * deviation;
    });
    float blockMean[kChannelBlock], scale[kChannelBlock];
    for (int64_t j = 0; j < block.width; ++j) {
      const int64_t c = block.first + j;
      // Biased (no Bessel correction) for normalizing and for the moving variance, as in Keras.
      const double variance = squares[j] / rows;
      blockMean[j] = static_cast<float>(mean[j]);
      savedMean[c] = blockMean[j];
      savedInvStd[c] = invStd(variance, g.epsilon);
      scale[j] = gamma[c] * savedInvStd[c];
      movingMean[c] = static_cast<float>(movingMean[c] * momentum + mean[j] * (1.0 - momentum));
      movingVariance[c] = static_cast<float>(movingVariance[c] * momentum + variance * (1.0 - momentum));
    }
    normalize(g, block, x, blockMean, scale, beta + block.first, y);
  });
}

void batchNormInferenceForward(const BatchNormGeometry& g, const float* x, const float* gamma, const float* beta,
                               const float* movingMean, const float* movingVariance, float* y) {
  forEachChannelBlock(g, [&](ChannelBlock block) {
    float scale[kChannelBlock];
    for (int64_t j = 0; j < block.width; ++j) {
      const int64_t c = block.first + j;
      scale[j] = gamma[c] * invStd(movingVariance[c], g.epsilon);
    }
    normalize(g, block, x, movingMean + block.first, scale, beta + block.first, y);
  });
}

void batchNormBackward(const BatchNormGeometry& g, const float* x, const float* gamma, const float* savedMean,
                       const float* savedInvStd, const float* gradY, float* gradX, float* gradGamma, float* gradBeta) {
  const double rows = static_cast<double>(g.rows);
  forEachChannelBlock(g, [&](ChannelBlock block) {
    const float* mean = savedMean + block.first;
    const float* inv = savedInvStd + block.first;
    auto normalized = [&](int64_t i, int64_t j) { return (x[i] - mean[j]) * inv[j]; };
    double sumGrad[kChannelBlock] = {};
    double sumGradNormalized[kChannelBlock] = {};
    forEachElement(g, block, [&](int64_t i, int64_t j) {
      sumGrad[j] += gradY[i];
      sumGradNormalized[j] += static_cast<double>(gradY[i]) * normalized(i, j);
    });
    // With xhat = (x - mean) * invStd and y = gamma * xhat + beta, differentiating through the
    // batch mean and variance gives
    //   gradX = gamma * invStd * (gradY - mean(gradY) - xhat * mean(gradY * xhat)).
    float scale[kChannelBlock], meanGrad[kChannelBlock], meanGradNormalized[kChannelBlock];
    for (int64_t j = 0; j < block.width; ++j) {
      const int64_t c = block.first + j;
      gradBeta[c] = static_cast<float>(sumGrad[j]);
      gradGamma[c] = static_cast<float>(sumGradNormalized[j]);
      scale[j] = gamma[c] * inv[j];
      meanGrad[j] = static_cast<float>(sumGrad[j] / rows);
      meanGradNormalized[j] = static_cast<float>(sumGradNormalized[j] / rows);
    }
    forEachElement(g, block, [&](int64_t i, int64_t j) {
      gradX[i] = scale[j] * (gradY[i] - meanGrad[j] - normalized(i, j) * meanGradNormalized[j]);
    });
  });
}

void batchNormInferenceBackward(const BatchNormGeometry& g, const float* gamma, const float* movingVariance,
                                const float* gradY, float* gradX) {
  forEachChannelBlock(g, [&](ChannelBlock block) {
    float scale[kChannelBlock];
    for (int64_t j = 0; j < block.width; ++j) {
      const int64_t c = block.first + j;
      scale[j] = gamma[c] * invStd(movingVariance[c], g.epsilon);
    }
    forEachElement(g, block, [&](int64_t i, int64_t j) { gradX[i] = gradY[i] * scale[j]; });
  });
}

}  // namespace convkit::kernels
