// Max pooling's common case, a 2x2 window, as loops over runs of whole windows along one output
// row, which each ISA's translation unit (scalar.cc, avx2.cc, ...) compiles with its own flags and
// publishes in its kernel table (dispatch.h, MaxPool2x2Runs): at the baseline's 4-wide SSE2, and
// called window by window, max pooling took 15 % of a kerasMnist training step. pooling.cc
// includes this header too, for the per-window helpers (a window's max, its winner byte, the
// scaled gradient) that its general windows share with the runs, so both produce the same bits;
// the anonymous namespace keeps every copy private to its translation unit.
//
// Every loop is over channels, selects rather than branches, on __restrict pointers (no output
// aliases an input), so that the compiler vectorizes it.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/isa/dispatch.h"

namespace convkit::kernels {
namespace {

// The max of a 2x2 window's values in row-major order, as the general loop over a window's pixels
// takes them (std::max keeps the current best on ties and against a later NaN).
inline float maxOf4(float topLeft, float topRight, float bottomLeft, float bottomRight) {
  return std::max(std::max(std::max(topLeft, topRight), bottomLeft), bottomRight);
}

// A window's winner byte (see maxPool2dForwardRecordingWinners).
inline uint8_t winnerByte(int32_t index, float best) {
  return static_cast<uint8_t>(index | (best > 0.0f ? kPositiveMaxBit : 0));
}

// The output gradient of a window times the derivative of the activation that produced the input,
// read from the window's max: 1 where it is > 0, slopeAtNonPositive elsewhere (a NaN max included).
inline float scaledGradient(float gradOutput, bool positiveMax, float slopeAtNonPositive) {
  return gradOutput * (positiveMax ? 1.0f : slopeAtNonPositive);
}

// Which pixel of a 2x2 window won its max, as one flag per pixel (exactly one set): the form the
// channel loops vectorize (an index compared afterwards turns into branches).
struct Winner2x2 {
  bool topLeft, topRight, bottomLeft, bottomRight;
  // Its row-major index in the window.
  int32_t index() const { return topRight + 2 * bottomLeft + 3 * bottomRight; }
  static Winner2x2 at(int32_t index) { return {index == 0, index == 1, index == 2, index == 3}; }
};

// The first of a 2x2 window's values equal to its max `best`, the one forward's std::max kept; the
// first pixel when none is (a NaN max, which forward keeps there). Bool arithmetic, no branches.
inline Winner2x2 firstMaxOf2x2(float topLeft, float topRight, float bottomLeft, float bottomRight, float best) {
  const bool topLeftWins = topLeft == best;
  const bool topRightWins = !topLeftWins & (topRight == best);
  const bool bottomLeftWins = !(topLeftWins | topRightWins) & (bottomLeft == best);
  const bool bottomRightWins = !(topLeftWins | topRightWins | bottomLeftWins) & (bottomRight == best);
  return {!(topRightWins | bottomLeftWins | bottomRightWins), topRightWins, bottomLeftWins, bottomRightWins};
}

// Channel c of a 2x2 window's input gradient: gradient at the winner, 0 at the other three pixels.
// (No __restrict here: inlined into the loops that call it, it would keep them from vectorizing.)
inline void routeTo2x2(int64_t c, int64_t pixelStride, Winner2x2 winner, float gradient, float* gradTop,
                       float* gradBottom) {
  gradTop[c] = winner.topLeft ? gradient : 0.0f;
  gradTop[pixelStride + c] = winner.topRight ? gradient : 0.0f;
  gradBottom[c] = winner.bottomLeft ? gradient : 0.0f;
  gradBottom[pixelStride + c] = winner.bottomRight ? gradient : 0.0f;
}

// The three kernels below take a run of `windows` whole 2x2 windows along an output row, window w
// starting at top + w * windowStride in the input's upper row and at bottom + w * windowStride in
// its lower one, its two pixels in a row `channels` floats apart; its output (and winners,
// gradOutput) at w * channels.

// The max of each window per channel (inference's forward).
inline void maxPool2x2Run(int64_t windows, int64_t channels, int64_t windowStride, const float* __restrict top,
                          const float* __restrict bottom, float* __restrict output) {
  for (int64_t w = 0; w < windows; ++w, top += windowStride, bottom += windowStride, output += channels) {
    for (int64_t c = 0; c < channels; ++c) {
      output[c] = maxOf4(top[c], top[channels + c], bottom[c], bottom[channels + c]);
    }
  }
}

// The max and its winner byte (training's forward, maxPool2dForwardRecordingWinners).
inline void recordMaxPool2x2Run(int64_t windows, int64_t channels, int64_t windowStride, const float* __restrict top,
                                const float* __restrict bottom, float* __restrict output, uint8_t* __restrict winners) {
  for (int64_t w = 0; w < windows;
       ++w, top += windowStride, bottom += windowStride, output += channels, winners += channels) {
    for (int64_t c = 0; c < channels; ++c) {
      const float topLeft = top[c], topRight = top[channels + c];
      const float bottomLeft = bottom[c], bottomRight = bottom[channels + c];
      const float best = maxOf4(topLeft, topRight, bottomLeft, bottomRight);
      output[c] = best;
      winners[c] = winnerByte(firstMaxOf2x2(topLeft, topRight, bottomLeft, bottomRight, best).index(), best);
    }
  }
}

// Each output gradient routed to its recorded winner, scaled by the fused activation's derivative
// (training's backward, maxPool2dBackwardFromWinners): gradTop and gradBottom are the input
// gradient's rows, laid out like top and bottom, and every one of the run's pixels is written.
inline void routeToWinners2x2Run(int64_t windows, int64_t channels, int64_t windowStride,
                                 const uint8_t* __restrict winners, const float* __restrict gradOutput,
                                 float* __restrict gradTop, float* __restrict gradBottom, float slopeAtNonPositive) {
  for (int64_t w = 0; w < windows;
       ++w, winners += channels, gradOutput += channels, gradTop += windowStride, gradBottom += windowStride) {
    for (int64_t c = 0; c < channels; ++c) {
      const uint8_t winner = winners[c];
      routeTo2x2(c, channels, Winner2x2::at(winner & kWinnerIndexMask),
                 scaledGradient(gradOutput[c], (winner & kPositiveMaxBit) != 0, slopeAtNonPositive), gradTop,
                 gradBottom);
    }
  }
}

}  // namespace
}  // namespace convkit::kernels
