#include "kernels/pooling.h"

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "kernels/activation.h"
#include "kernels/isa/dispatch.h"
#include "kernels/isa/maxpool2x2.h"
#include "runtime/thread_pool.h"

namespace convkit::kernels {
namespace {

// The part of one pooling window that lies inside the input: rows [top, bottom), columns
// [left, right). Padding is simply left out, which is what makes it never win a max and not count
// in an average. Every window keeps at least one element because the binding only accepts pads
// smaller than the pool ('same' padding always is).
struct Window {
  int64_t top, bottom, left, right;
  int64_t count() const { return (bottom - top) * (right - left); }
  // The common case the kernels give one-pass loops.
  bool is2x2() const { return bottom - top == 2 && right - left == 2; }
};

// Calls visit(imageOffset, window, outputOffset) for every output pixel of every image:
// imageOffset is where the image's [inHeight, inWidth, channels] input starts, outputOffset where
// the pixel's channels start in the output. Max and average, forward and backward, all walk this
// one traversal. Images are spread over the thread pool: a visit writes only into its own image's
// output or input gradient, so images never race.
// beginImage(imageOffset) runs on the image's thread before its first window (the backward passes
// zero the image's input gradient there, while it is about to be in cache).
// When given, run2x2(imageOffset, firstWindow, windows, outputOffset) takes each run of consecutive
// whole 2x2 windows along an output row instead (max pooling's MaxPool2x2Runs kernels), so the
// windows that padding cuts short are the only ones visited one by one.
template <typename Visit, typename BeginImage, typename Run2x2 = std::nullptr_t>
void forEachWindow(const Pool2dGeometry& g, Visit visit, BeginImage beginImage, Run2x2 run2x2 = nullptr) {
  const int64_t imageSize = g.inHeight * g.inWidth * g.channels;
  const int64_t outputImageSize = g.outHeight * g.outWidth * g.channels;
  runtime::parallelFor(g.batch, 1, [&](int64_t firstImage, int64_t lastImage) {
    for (int64_t n = firstImage; n < lastImage; ++n) {
      beginImage(n * imageSize);
      int64_t outputOffset = n * outputImageSize;
      for (int64_t oy = 0; oy < g.outHeight; ++oy) {
        const int64_t y = oy * g.strideHeight - g.padTop;
        const int64_t top = std::max<int64_t>(y, 0);
        const int64_t bottom = std::min(y + g.poolHeight, g.inHeight);
        const auto windowAt = [&](int64_t ox) {
          const int64_t x = ox * g.strideWidth - g.padLeft;
          return Window{top, bottom, std::max<int64_t>(x, 0), std::min(x + g.poolWidth, g.inWidth)};
        };
        for (int64_t ox = 0; ox < g.outWidth;) {
          const Window window = windowAt(ox);
          if constexpr (!std::is_same_v<Run2x2, std::nullptr_t>) {
            if (window.is2x2()) {
              int64_t windows = 1;
              while (ox + windows < g.outWidth && windowAt(ox + windows).is2x2()) ++windows;
              run2x2(n * imageSize, window, windows, outputOffset);
              ox += windows;
              outputOffset += windows * g.channels;
              continue;
            }
          }
          visit(n * imageSize, window, outputOffset);
          ++ox;
          outputOffset += g.channels;
        }
      }
    }
  });
}

// The beginImage of forEachWindow for the passes that need none.
void nothingToBegin(int64_t) {}

// Offset of pixel (y, x) within an image.
int64_t pixelOffset(const Pool2dGeometry& g, int64_t y, int64_t x) {
  return (y * g.inWidth + x) * g.channels;
}

// Calls visit(pixelOffset) for every input pixel of the window, in row-major order (so "first"
// means the same thing for every max).
template <typename Visit>
void forEachPixel(const Pool2dGeometry& g, const Window& w, Visit visit) {
  for (int64_t y = w.top; y < w.bottom; ++y) {
    for (int64_t x = w.left; x < w.right; ++x) visit(pixelOffset(g, y, x));
  }
}

// Sizes of a global pooling seen as one window covering the whole image.
Pool2dGeometry globalGeometry(int64_t batch, int64_t height, int64_t width, int64_t channels) {
  Pool2dGeometry g;
  g.batch = batch;
  g.inHeight = g.poolHeight = height;
  g.inWidth = g.poolWidth = width;
  g.channels = channels;
  g.outHeight = g.outWidth = 1;
  return g;
}

// best[c - c0] = the max over the window of image[pixel + c] for channels c0 <= c < c1, all at once
// (contiguous, so the loop vectorizes; best must not alias image, or the compiler cannot assume
// it). std::max keeps the current best on ties and against a later NaN.
void windowMax(const Pool2dGeometry& g, const float* image, const Window& w, int64_t c0, int64_t c1, float* best) {
  const float* first = image + pixelOffset(g, w.top, w.left) + c0;
  std::copy(first, first + (c1 - c0), best);
  forEachPixel(g, w, [&](int64_t pixel) {
    const float* values = image + pixel + c0;
    for (int64_t c = 0; c < c1 - c0; ++c) best[c] = std::max(best[c], values[c]);
  });
}

// Channels the max pooling handles at once, with its scratch on the stack.
constexpr int64_t kChannelBlock = 64;

// The beginImage of forEachWindow for the backward passes: zeroes one image's input gradient.
auto zeroImage(const Pool2dGeometry& g, float* gradInput) {
  const int64_t imageSize = g.inHeight * g.inWidth * g.channels;
  return [gradInput, imageSize](int64_t image) { std::fill(gradInput + image, gradInput + image + imageSize, 0.0f); };
}

// Whether the windows follow one another with neither overlap nor gaps (stride == pool): max
// pooling's backward then writes each window's pixels once, and zeroes only the pixels past the
// last window (the bottom rows and right columns a 'valid' pooling leaves out), instead of zeroing
// the whole image and adding into it.
bool windowsAreContiguous(const Pool2dGeometry& g) {
  return g.strideHeight == g.poolHeight && g.strideWidth == g.poolWidth;
}

// The beginImage of forEachWindow for contiguous windows: zeroes the input gradient past them.
auto zeroPastWindows(const Pool2dGeometry& g, float* gradInput) {
  const int64_t rowsEnd = std::min(g.inHeight, g.outHeight * g.poolHeight - g.padTop);
  const int64_t columnsEnd = std::min(g.inWidth, g.outWidth * g.poolWidth - g.padLeft);
  return [&g, gradInput, rowsEnd, columnsEnd](int64_t image) {
    float* grad = gradInput + image;
    for (int64_t y = 0; y < rowsEnd; ++y) {
      std::fill(grad + pixelOffset(g, y, columnsEnd), grad + pixelOffset(g, y, g.inWidth), 0.0f);
    }
    std::fill(grad + pixelOffset(g, rowsEnd, 0), grad + pixelOffset(g, g.inHeight, 0), 0.0f);
  };
}

// One whole 2x2 window's gradients, all channels at once, each routed to the winner found again in
// the input (maxPool2dBackward), in a form the compiler vectorizes (selects, no control flow;
// __restrict, since no output aliases an input). top/bottom are the window's first pixel in each of
// its rows, pixelStride the distance to the pixel on its right.
void routeMaxGradients2x2(int64_t channels, int64_t pixelStride, const float* __restrict top,
                          const float* __restrict bottom, const float* __restrict gradOutput, float* __restrict gradTop,
                          float* __restrict gradBottom, float slopeAtNonPositive) {
  for (int64_t c = 0; c < channels; ++c) {
    const float topLeft = top[c], topRight = top[pixelStride + c];
    const float bottomLeft = bottom[c], bottomRight = bottom[pixelStride + c];
    const float best = maxOf4(topLeft, topRight, bottomLeft, bottomRight);
    routeTo2x2(c, pixelStride, firstMaxOf2x2(topLeft, topRight, bottomLeft, bottomRight, best),
               scaledGradient(gradOutput[c], best > 0.0f, slopeAtNonPositive), gradTop, gradBottom);
  }
}

// recordMaxPool2x2Run (isa/maxpool2x2.h) for any window, channels c0 <= c < c0 + width (at most
// kChannelBlock): best[c - c0] = the max, winners[c - c0] its winner byte.
void recordWindowMax(const Pool2dGeometry& g, const float* image, const Window& w, int64_t c0, int64_t width,
                     float* best, uint8_t* winners) {
  windowMax(g, image, w, c0, c0 + width, best);
  // The first pixel equal to the max (-1 until found, and still -1 after for a NaN max, which stays
  // at pixel 0); selects rather than branches so the channel loop vectorizes.
  int32_t first[kChannelBlock];
  std::fill(first, first + width, -1);
  int32_t index = 0;
  forEachPixel(g, w, [&](int64_t pixel) {
    const float* values = image + pixel + c0;
    for (int64_t c = 0; c < width; ++c) first[c] = ((first[c] < 0) & (values[c] == best[c])) ? index : first[c];
    ++index;
  });
  for (int64_t c = 0; c < width; ++c) winners[c] = winnerByte(std::max(first[c], 0), best[c]);
}

// routeToWinners2x2Run for any window, channels c0 <= c < c0 + width: winners and gradOutput point at
// the window's entries for c0, grad at the image's input gradient plus c0.
void routeToWinners(const Pool2dGeometry& g, const Window& w, const uint8_t* winners, const float* gradOutput,
                    int64_t width, float* grad, float slopeAtNonPositive) {
  int32_t index = 0;
  forEachPixel(g, w, [&](int64_t pixel) {
    float* target = grad + pixel;
    for (int64_t c = 0; c < width; ++c) {
      const uint8_t winner = winners[c];
      const float gradient = scaledGradient(gradOutput[c], (winner & kPositiveMaxBit) != 0, slopeAtNonPositive);
      target[c] = (winner & kWinnerIndexMask) == index ? gradient : 0.0f;
    }
    ++index;
  });
}

// maxPool2dBackward over contiguous windows: each pixel belongs to one window, so it is written
// once, by routing from the winners found again in the input as training routes from recorded ones.
void routeMaxGradientsTiled(const Pool2dGeometry& g, const float* input, const float* gradOutput, float* gradInput,
                            float slopeAtNonPositive) {
  forEachWindow(
      g,
      [&](int64_t image, const Window& w, int64_t out) {
        const float* values = input + image;
        float* grad = gradInput + image;
        if (w.is2x2()) {
          const int64_t firstPixel = pixelOffset(g, w.top, w.left);
          const int64_t below = g.inWidth * g.channels;
          routeMaxGradients2x2(g.channels, g.channels, values + firstPixel, values + firstPixel + below,
                               gradOutput + out, grad + firstPixel, grad + firstPixel + below, slopeAtNonPositive);
          return;
        }
        for (int64_t c0 = 0; c0 < g.channels; c0 += kChannelBlock) {
          const int64_t width = std::min(kChannelBlock, g.channels - c0);
          float best[kChannelBlock];
          uint8_t winners[kChannelBlock];
          recordWindowMax(g, values, w, c0, width, best, winners);
          routeToWinners(g, w, winners, gradOutput + out + c0, width, grad + c0, slopeAtNonPositive);
        }
      },
      zeroPastWindows(g, gradInput));
}

// maxPool2dBackward over windows that overlap or leave gaps: a pixel may win several windows, so its
// gradients add up.
void routeMaxGradientsOverlapping(const Pool2dGeometry& g, const float* input, const float* gradOutput,
                                  float* gradInput, float slopeAtNonPositive) {
  forEachWindow(
      g,
      [&](int64_t image, const Window& w, int64_t out) {
        const float* values = input + image;
        float* grad = gradInput + image;
        for (int64_t c0 = 0; c0 < g.channels; c0 += kChannelBlock) {
          const int64_t width = std::min(kChannelBlock, g.channels - c0);
          float best[kChannelBlock];
          windowMax(g, values, w, c0, c0 + width, best);
          // Each channel's gradient goes to the first pixel holding the max, the one forward's
          // std::max kept; `unrouted` holds what is still to deliver, so later equal values get none.
          // Written as selects rather than branches so the channel loop vectorizes.
          float unrouted[kChannelBlock];
          for (int64_t c = 0; c < width; ++c) {
            unrouted[c] = scaledGradient(gradOutput[out + c0 + c], best[c] > 0.0f, slopeAtNonPositive);
          }
          forEachPixel(g, w, [&](int64_t pixel) {
            const float* value = values + pixel + c0;
            float* target = grad + pixel + c0;
            for (int64_t c = 0; c < width; ++c) {
              const bool wins = value[c] == best[c];
              target[c] += wins ? unrouted[c] : 0.0f;
              unrouted[c] = wins ? 0.0f : unrouted[c];
            }
          });
          // A channel whose first value is NaN keeps NaN as its max, equal to nothing: like forward,
          // it goes to the window's first pixel.
          float* first = grad + pixelOffset(g, w.top, w.left) + c0;
          for (int64_t c = 0; c < width; ++c) first[c] += unrouted[c];
        }
      },
      zeroImage(g, gradInput));
}

}  // namespace

bool maxPoolRecordsWinners(const Pool2dGeometry& g) {
  return windowsAreContiguous(g) && g.poolHeight * g.poolWidth <= kWinnerIndexMask + 1;
}

void maxPool2dForward(const Pool2dGeometry& g, const float* input, float* output) {
  const MaxPool2x2Runs& runs = activeKernels().maxPool2x2;
  forEachWindow(
      g,
      [&](int64_t image, const Window& w, int64_t out) {
        for (int64_t c0 = 0; c0 < g.channels; c0 += kChannelBlock) {
          const int64_t width = std::min(kChannelBlock, g.channels - c0);
          float best[kChannelBlock];
          windowMax(g, input + image, w, c0, c0 + width, best);
          std::copy(best, best + width, output + out + c0);
        }
      },
      nothingToBegin,
      [&](int64_t image, const Window& first, int64_t windows, int64_t out) {
        const float* top = input + image + pixelOffset(g, first.top, first.left);
        runs.max(windows, g.channels, g.strideWidth * g.channels, top, top + g.inWidth * g.channels, output + out);
      });
}

void maxPool2dForwardRecordingWinners(const Pool2dGeometry& g, const float* input, float* output, uint8_t* winners) {
  const MaxPool2x2Runs& runs = activeKernels().maxPool2x2;
  forEachWindow(
      g,
      [&](int64_t image, const Window& w, int64_t out) {
        for (int64_t c0 = 0; c0 < g.channels; c0 += kChannelBlock) {
          const int64_t width = std::min(kChannelBlock, g.channels - c0);
          float best[kChannelBlock];
          recordWindowMax(g, input + image, w, c0, width, best, winners + out + c0);
          std::copy(best, best + width, output + out + c0);
        }
      },
      nothingToBegin,
      [&](int64_t image, const Window& first, int64_t windows, int64_t out) {
        const float* top = input + image + pixelOffset(g, first.top, first.left);
        runs.recordMax(windows, g.channels, g.strideWidth * g.channels, top, top + g.inWidth * g.channels, output + out,
                       winners + out);
      });
}

void maxPool2dBackward(const Pool2dGeometry& g, const float* input, const float* gradOutput, float* gradInput,
                       Activation inputActivation, float activationAlpha) {
  const float slope = derivativeAtNonPositiveOutput(inputActivation, activationAlpha);
  if (windowsAreContiguous(g)) {
    routeMaxGradientsTiled(g, input, gradOutput, gradInput, slope);
  } else {
    routeMaxGradientsOverlapping(g, input, gradOutput, gradInput, slope);
  }
}

void maxPool2dBackwardFromWinners(const Pool2dGeometry& g, const uint8_t* winners, const float* gradOutput,
                                  float* gradInput, Activation inputActivation, float activationAlpha) {
  const float slope = derivativeAtNonPositiveOutput(inputActivation, activationAlpha);
  const MaxPool2x2Runs& runs = activeKernels().maxPool2x2;
  forEachWindow(
      g,
      [&](int64_t image, const Window& w, int64_t out) {
        routeToWinners(g, w, winners + out, gradOutput + out, g.channels, gradInput + image, slope);
      },
      zeroPastWindows(g, gradInput),
      [&](int64_t image, const Window& first, int64_t windows, int64_t out) {
        float* gradTop = gradInput + image + pixelOffset(g, first.top, first.left);
        runs.routeToWinners(windows, g.channels, g.strideWidth * g.channels, winners + out, gradOutput + out, gradTop,
                            gradTop + g.inWidth * g.channels, slope);
      });
}

void avgPool2dForward(const Pool2dGeometry& g, const float* input, float* output) {
  forEachWindow(
      g,
      [&](int64_t image, const Window& w, int64_t out) {
        float* sum = output + out;
        std::fill(sum, sum + g.channels, 0.0f);
        forEachPixel(g, w, [&](int64_t pixel) {
          const float* values = input + image + pixel;
          for (int64_t c = 0; c < g.channels; ++c) sum[c] += values[c];
        });
        const float scale = 1.0f / static_cast<float>(w.count());
        for (int64_t c = 0; c < g.channels; ++c) sum[c] *= scale;
      },
      nothingToBegin);
}

void avgPool2dBackward(const Pool2dGeometry& g, const float* gradOutput, float* gradInput) {
  forEachWindow(
      g,
      [&](int64_t image, const Window& w, int64_t out) {
        const float scale = 1.0f / static_cast<float>(w.count());
        const float* grad = gradOutput + out;
        forEachPixel(g, w, [&](int64_t pixel) {
          float* target = gradInput + image + pixel;
          for (int64_t c = 0; c < g.channels; ++c) target[c] += grad[c] * scale;
        });
      },
      zeroImage(g, gradInput));
}

void globalAvgPool2dForward(int64_t batch, int64_t height, int64_t width, int64_t channels, const float* input,
                            float* output) {
  avgPool2dForward(globalGeometry(batch, height, width, channels), input, output);
}

void globalAvgPool2dBackward(int64_t batch, int64_t height, int64_t width, int64_t channels, const float* gradOutput,
                             float* gradInput) {
  avgPool2dBackward(globalGeometry(batch, height, width, channels), gradOutput, gradInput);
}

void globalMaxPool2dForward(int64_t batch, int64_t height, int64_t width, int64_t channels, const float* input,
                            float* output) {
  maxPool2dForward(globalGeometry(batch, height, width, channels), input, output);
}

void globalMaxPool2dBackward(int64_t batch, int64_t height, int64_t width, int64_t channels, const float* input,
                             const float* gradOutput, float* gradInput) {
  maxPool2dBackward(globalGeometry(batch, height, width, channels), input, gradOutput, gradInput);
}

}  // namespace convkit::kernels
