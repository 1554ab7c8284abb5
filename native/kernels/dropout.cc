#include "kernels/dropout.h"

namespace convkit::kernels {
namespace {

// splitmix64's finalizer: a bijection of 64-bit words in which every output bit depends on every
// input bit, so consecutive counters give independent-looking words.
uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Hashes at or above this are kept: P(keep) = 1 - threshold / 2^64 = 1 - rate. rate < 1 keeps the
// product below 2^64 (the largest float below 1 gives 2^64 - 2^40, exact in a double).
uint64_t dropThreshold(float rate) {
  return static_cast<uint64_t>(static_cast<double>(rate) * 18446744073709551616.0);
}

float keepScale(float rate) {
  return static_cast<float>(1.0 / (1.0 - static_cast<double>(rate)));
}

// out[i] = mask[i] ? in[i] * scale : 0. Element-by-element, so out may be in.
void applyMask(int64_t count, float scale, const uint8_t* mask, const float* in, float* out) {
  for (int64_t i = 0; i < count; ++i) out[i] = mask[i] != 0 ? in[i] * scale : 0.0f;
}

}  // namespace

void dropoutForward(int64_t count, float rate, uint64_t seed, const float* x, float* y, uint8_t* mask) {
  // Element i's word is position i of a splitmix64 stream keyed by the hashed seed: a pure
  // function of (seed, i), and nearby seeds still start far apart in the stream.
  const uint64_t key = mix64(seed);
  const uint64_t threshold = dropThreshold(rate);
  constexpr uint64_t kGoldenGamma = 0x9e3779b97f4a7c15ULL;
  for (int64_t i = 0; i < count; ++i) {
    const uint64_t word = mix64(key + static_cast<uint64_t>(i) * kGoldenGamma);
    mask[i] = word >= threshold ? 1 : 0;
  }
  applyMask(count, keepScale(rate), mask, x, y);
}

void dropoutBackward(int64_t count, float rate, const uint8_t* mask, const float* gradY, float* gradX) {
  applyMask(count, keepScale(rate), mask, gradY, gradX);
}

}  // namespace convkit::kernels
