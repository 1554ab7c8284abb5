#include "kernels/merge.h"

#include <algorithm>
#include <cstring>

#include "runtime/thread_pool.h"

namespace convkit::kernels {
namespace {

// Elementwise work is split over the thread pool in runs of this many floats (as activations).
constexpr int64_t kElementsPerTask = 1 << 14;

template <typename Body>
void forRanges(int64_t count, Body body) {
  runtime::parallelFor(count, kElementsPerTask, [&](int64_t begin, int64_t end) { body(begin, end); });
}

// Positions are split over the pool in runs of about kElementsPerTask floats.
template <typename Body>
void forRows(int64_t rows, int64_t floatsPerRow, Body body) {
  const int64_t grain = std::max<int64_t>(1, kElementsPerTask / std::max<int64_t>(floatsPerRow, 1));
  runtime::parallelFor(rows, grain, [&](int64_t begin, int64_t end) { body(begin, end); });
}

}  // namespace

void addForward(int64_t count, int64_t inputs, const float* const* in, float* out) {
  forRanges(count, [&](int64_t begin, int64_t end) {
    std::copy(in[0] + begin, in[0] + end, out + begin);
    for (int64_t k = 1; k < inputs; ++k) {
      for (int64_t i = begin; i < end; ++i) out[i] += in[k][i];
    }
  });
}

void averageForward(int64_t count, int64_t inputs, const float* const* in, float* out) {
  const float scale = 1.0f / static_cast<float>(inputs);
  forRanges(count, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      float sum = 0.0f;
      for (int64_t k = 0; k < inputs; ++k) sum += in[k][i];
      out[i] = sum * scale;
    }
  });
}

void averageBackward(int64_t count, int64_t inputs, const float* gradOut, float* const* gradIn) {
  const float scale = 1.0f / static_cast<float>(inputs);
  forRanges(count, [&](int64_t begin, int64_t end) {
    for (int64_t k = 0; k < inputs; ++k) {
      if (gradIn[k] == nullptr) continue;
      for (int64_t i = begin; i < end; ++i) gradIn[k][i] = gradOut[i] * scale;
    }
  });
}

namespace {

// The first input holding the maximum at element i (the one maximumBackward routes to).
int64_t winner(int64_t inputs, const float* const* in, int64_t i) {
  int64_t best = 0;
  for (int64_t k = 1; k < inputs; ++k) {
    if (in[k][i] > in[best][i]) best = k;
  }
  return best;
}

}  // namespace

void maximumForward(int64_t count, int64_t inputs, const float* const* in, float* out) {
  forRanges(count, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) out[i] = in[winner(inputs, in, i)][i];
  });
}

void maximumBackward(int64_t count, int64_t inputs, const float* const* in, const float* gradOut,
                     float* const* gradIn) {
  forRanges(count, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t best = winner(inputs, in, i);
      for (int64_t k = 0; k < inputs; ++k) {
        if (gradIn[k] != nullptr) gradIn[k][i] = k == best ? gradOut[i] : 0.0f;
      }
    }
  });
}

namespace {

// The product's operands at one row (sample b, position p) of the output.
struct MultiplyOperands {
  int64_t positions, channels, inputs;
  const uint8_t* broadcast;
  const float* const* in;

  float at(int64_t k, int64_t row, int64_t c) const {
    return broadcast[k] ? in[k][(row / positions) * channels + c] : in[k][row * channels + c];
  }
  float productExcept(int64_t skipped, int64_t row, int64_t c) const {
    float product = 1.0f;
    for (int64_t k = 0; k < inputs; ++k) {
      if (k != skipped) product *= at(k, row, c);
    }
    return product;
  }
};

}  // namespace

void multiplyForward(int64_t batch, int64_t positions, int64_t channels, int64_t inputs, const uint8_t* broadcast,
                     const float* const* in, float* out) {
  const MultiplyOperands operands{positions, channels, inputs, broadcast, in};
  forRows(batch * positions, channels * inputs, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      for (int64_t c = 0; c < channels; ++c) out[row * channels + c] = operands.productExcept(-1, row, c);
    }
  });
}

void multiplyBackward(int64_t batch, int64_t positions, int64_t channels, int64_t inputs, const uint8_t* broadcast,
                      const float* const* in, const float* gradOut, float* const* gradIn) {
  // The product of the others is recomputed rather than divided out, so zeros are exact.
  const MultiplyOperands operands{positions, channels, inputs, broadcast, in};
  for (int64_t k = 0; k < inputs; ++k) {
    float* target = gradIn[k];
    if (target == nullptr) continue;
    if (broadcast[k]) {
      // Per sample and channel, a sum over positions, in order.
      runtime::parallelFor(batch * channels, 16, [&](int64_t begin, int64_t end) {
        for (int64_t bc = begin; bc < end; ++bc) {
          const int64_t b = bc / channels, c = bc % channels;
          double sum = 0.0;
          for (int64_t row = b * positions; row < (b + 1) * positions; ++row) {
            sum += static_cast<double>(gradOut[row * channels + c]) * operands.productExcept(k, row, c);
          }
          target[bc] = static_cast<float>(sum);
        }
      });
    } else {
      forRows(batch * positions, channels * inputs, [&](int64_t begin, int64_t end) {
        for (int64_t row = begin; row < end; ++row) {
          for (int64_t c = 0; c < channels; ++c) {
            target[row * channels + c] = gradOut[row * channels + c] * operands.productExcept(k, row, c);
          }
        }
      });
    }
  }
}

namespace {

int64_t sumOf(int64_t inputs, const int64_t* channels) {
  int64_t total = 0;
  for (int64_t k = 0; k < inputs; ++k) total += channels[k];
  return total;
}

}  // namespace

void concatenateForward(int64_t rows, int64_t inputs, const int64_t* channels, const float* const* in, float* out) {
  const int64_t total = sumOf(inputs, channels);
  forRows(rows, total, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      float* row = out + r * total;
      for (int64_t k = 0; k < inputs; ++k) {
        row = std::copy(in[k] + r * channels[k], in[k] + (r + 1) * channels[k], row);
      }
    }
  });
}

void concatenateBackward(int64_t rows, int64_t inputs, const int64_t* channels, const float* gradOut,
                         float* const* gradIn) {
  const int64_t total = sumOf(inputs, channels);
  forRows(rows, total, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* row = gradOut + r * total;
      for (int64_t k = 0; k < inputs; ++k) {
        if (gradIn[k] != nullptr) std::copy(row, row + channels[k], gradIn[k] + r * channels[k]);
        row += channels[k];
      }
    }
  });
}

}  // namespace convkit::kernels
