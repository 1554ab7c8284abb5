#include "kernels/pooling.h"

#include <algorithm>

namespace convkit::kernels {
namespace {

// The part of one pooling window that lies inside the input: rows [top, bottom), columns
// [left, right). Padding is simply left out, which is what makes it never win a max and not count
// in an average. Every window keeps at least one element because the binding only accepts pads
// smaller than the pool ('same' padding always is).
struct Window {
  int64_t top, bottom, left, right;
  int64_t count() const { return (bottom - top) * (right - left); }
};

// Calls visit(imageOffset, window, outputOffset) for every output pixel of every image:
// imageOffset is where the image's [inHeight, inWidth, channels] input starts, outputOffset where
// the pixel's channels start in the output. Max and average, forward and backward, all walk this
// one traversal.
template <typename Visit>
void forEachWindow(const Pool2dGeometry& g, Visit visit) {
  const int64_t imageSize = g.inHeight * g.inWidth * g.channels;
  int64_t outputOffset = 0;
  for (int64_t n = 0; n < g.batch; ++n) {
    for (int64_t oy = 0; oy < g.outHeight; ++oy) {
      const int64_t y = oy * g.strideHeight - g.padTop;
      const int64_t top = std::max<int64_t>(y, 0);
      const int64_t bottom = std::min(y + g.poolHeight, g.inHeight);
      for (int64_t ox = 0; ox < g.outWidth; ++ox) {
        const int64_t x = ox * g.strideWidth - g.padLeft;
        const int64_t left = std::max<int64_t>(x, 0);
        const int64_t right = std::min(x + g.poolWidth, g.inWidth);
        visit(n * imageSize, Window{top, bottom, left, right}, outputOffset);
        outputOffset += g.channels;
      }
    }
  }
}

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

}  // namespace

void maxPool2dForward(const Pool2dGeometry& g, const float* input, float* output) {
  forEachWindow(g, [&](int64_t image, const Window& w, int64_t out) {
    float* best = output + out;
    const float* first = input + image + pixelOffset(g, w.top, w.left);
    std::copy(first, first + g.channels, best);
    // std::max keeps the current best on ties (and against NaN), like the backward's winner.
    forEachPixel(g, w, [&](int64_t pixel) {
      const float* values = input + image + pixel;
      for (int64_t c = 0; c < g.channels; ++c) best[c] = std::max(best[c], values[c]);
    });
  });
}

void maxPool2dBackward(const Pool2dGeometry& g, const float* input, const float* gradOutput,
                       float* gradInput) {
  std::fill(gradInput, gradInput + g.batch * g.inHeight * g.inWidth * g.channels, 0.0f);
  forEachWindow(g, [&](int64_t image, const Window& w, int64_t out) {
    const float* values = input + image;
    for (int64_t c = 0; c < g.channels; ++c) {
      int64_t winner = pixelOffset(g, w.top, w.left);
      float best = values[winner + c];
      forEachPixel(g, w, [&](int64_t pixel) {
        if (values[pixel + c] > best) {
          best = values[pixel + c];
          winner = pixel;
        }
      });
      gradInput[image + winner + c] += gradOutput[out + c];
    }
  });
}

void avgPool2dForward(const Pool2dGeometry& g, const float* input, float* output) {
  forEachWindow(g, [&](int64_t image, const Window& w, int64_t out) {
    float* sum = output + out;
    std::fill(sum, sum + g.channels, 0.0f);
    forEachPixel(g, w, [&](int64_t pixel) {
      const float* values = input + image + pixel;
      for (int64_t c = 0; c < g.channels; ++c) sum[c] += values[c];
    });
    const float scale = 1.0f / static_cast<float>(w.count());
    for (int64_t c = 0; c < g.channels; ++c) sum[c] *= scale;
  });
}

void avgPool2dBackward(const Pool2dGeometry& g, const float* gradOutput, float* gradInput) {
  std::fill(gradInput, gradInput + g.batch * g.inHeight * g.inWidth * g.channels, 0.0f);
  forEachWindow(g, [&](int64_t image, const Window& w, int64_t out) {
    const float scale = 1.0f / static_cast<float>(w.count());
    const float* grad = gradOutput + out;
    forEachPixel(g, w, [&](int64_t pixel) {
      float* target = gradInput + image + pixel;
      for (int64_t c = 0; c < g.channels; ++c) target[c] += grad[c] * scale;
    });
  });
}

void globalAvgPool2dForward(int64_t batch, int64_t height, int64_t width, int64_t channels,
                            const float* input, float* output) {
  avgPool2dForward(globalGeometry(batch, height, width, channels), input, output);
}

void globalAvgPool2dBackward(int64_t batch, int64_t height, int64_t width, int64_t channels,
                             const float* gradOutput, float* gradInput) {
  avgPool2dBackward(globalGeometry(batch, height, width, channels), gradOutput, gradInput);
}

void globalMaxPool2dForward(int64_t batch, int64_t height, int64_t width, int64_t channels,
                            const float* input, float* output) {
  maxPool2dForward(globalGeometry(batch, height, width, channels), input, output);
}

void globalMaxPool2dBackward(int64_t batch, int64_t height, int64_t width, int64_t channels,
                             const float* input, const float* gradOutput, float* gradInput) {
  maxPool2dBackward(globalGeometry(batch, height, width, channels), input, gradOutput, gradInput);
}

}  // namespace convkit::kernels
