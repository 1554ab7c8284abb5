// Inverted dropout: in training, each element is kept with probability 1 - rate and scaled by
// 1 / (1 - rate), so inference is the identity. The keep decision for element i is a pure function
// of (seed, i) — a counter-based hash — so a run is repeatable whatever the thread partitioning.
#pragma once

#include <cstdint>

namespace convkit::kernels {

// y[i] = keep[i] ? x[i] / (1 - rate) : 0, with mask[i] = keep[i] (0 or 1). rate in [0, 1).
// y may alias x.
void dropoutForward(int64_t count, float rate, uint64_t seed, const float* x, float* y, uint8_t* mask);

// gradX[i] = mask[i] ? gradY[i] / (1 - rate) : 0. gradX may alias gradY.
void dropoutBackward(int64_t count, float rate, const uint8_t* mask, const float* gradY, float* gradX);

}  // namespace convkit::kernels
