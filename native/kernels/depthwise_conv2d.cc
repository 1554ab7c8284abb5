#include "kernels/depthwise_conv2d.h"

#include <algorithm>
#include <vector>

#include "kernels/isa/dispatch.h"
#include "runtime/thread_pool.h"

namespace convkit::kernels {
namespace {

// Multiply-adds per parallelFor chunk at least: below that, waking a thread costs more.
constexpr int64_t kWorkPerChunk = 1 << 14;

// The kernel-gradient blocks: at most this many, and their partial sums at most this many floats
// in all (both fixed by the geometry, never by the thread count).
constexpr int64_t kMaxBlocks = 64;
constexpr int64_t kMaxPartialFloats = int64_t{1} << 22;

int64_t rowsPerChunk(int64_t workPerRow) {
  return std::max<int64_t>(1, kWorkPerChunk / std::max<int64_t>(workPerRow, 1));
}

// acc[c*M + m] += x[c] * w[c*M + m] for c < channels, m < M; the M == 1 loop is the common one
// (MobileNet's) and vectorizes as is.
void multiplyAdd(int64_t channels, int64_t M, const float* __restrict x, const float* __restrict w,
                 float* __restrict acc) {
  if (M == 1) {
    for (int64_t c = 0; c < channels; ++c) acc[c] += x[c] * w[c];
    return;
  }
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t m = 0; m < M; ++m) acc[c * M + m] += x[c] * w[c * M + m];
  }
}

// acc[c] += sum over m < M of g[c*M + m] * w[c*M + m], m in order (M > 1: the ISA's sumTaps takes M == 1).
void multiplyAddReduced(int64_t channels, int64_t M, const float* __restrict g, const float* __restrict w,
                        float* __restrict acc) {
  for (int64_t c = 0; c < channels; ++c) {
    float sum = acc[c];
    for (int64_t m = 0; m < M; ++m) sum += g[c * M + m] * w[c * M + m];
    acc[c] = sum;
  }
}

// The fused activation as the GEMM epilogue applies it (isa/epilogue.h), over one pixel.
void activate(Activation activation, float alpha, int64_t count, float* __restrict values) {
  if (activation == Activation::Relu) {
    for (int64_t i = 0; i < count; ++i) values[i] = values[i] < 0.0f ? 0.0f : values[i];
  } else if (activation == Activation::LeakyRelu) {
    for (int64_t i = 0; i < count; ++i) values[i] = values[i] < 0.0f ? alpha * values[i] : values[i];
  }
}

// The input position a window tap reads, or -1 outside the input.
int64_t inputIndex(int64_t out, int64_t stride, int64_t pad, int64_t tap, int64_t dilation, int64_t size) {
  const int64_t in = out * stride - pad + tap * dilation;
  return in >= 0 && in < size ? in : -1;
}

// Calls visit(input pixel within the image, tap = ky * kernelWidth + kx) for the taps of output
// pixel (oy, ox) that land inside the input, in tap order.
template <typename Visit>
void forEachInputTap(const Conv2dGeometry& g, int64_t oy, int64_t ox, Visit visit) {
  for (int64_t ky = 0; ky < g.kernelHeight; ++ky) {
    const int64_t iy = inputIndex(oy, g.strideHeight, g.padTop, ky, g.dilationHeight, g.inHeight);
    if (iy < 0) continue;
    for (int64_t kx = 0; kx < g.kernelWidth; ++kx) {
      const int64_t ix = inputIndex(ox, g.strideWidth, g.padLeft, kx, g.dilationWidth, g.inWidth);
      if (ix >= 0) visit(iy * g.inWidth + ix, ky * g.kernelWidth + kx);
    }
  }
}

// The output position whose window reads input position `in` at tap `tap`, or -1 for none.
int64_t outputIndex(int64_t in, int64_t stride, int64_t pad, int64_t tap, int64_t dilation, int64_t size) {
  const int64_t t = in + pad - tap * dilation;
  if (t < 0 || t % stride != 0 || t / stride >= size) return -1;
  return t / stride;
}

// Calls visit(output pixel within the image, tap) for the output pixels whose windows read input
// pixel (iy, ix), in tap order.
template <typename Visit>
void forEachOutputTap(const Conv2dGeometry& g, int64_t iy, int64_t ix, Visit visit) {
  for (int64_t ky = 0; ky < g.kernelHeight; ++ky) {
    const int64_t oy = outputIndex(iy, g.strideHeight, g.padTop, ky, g.dilationHeight, g.outHeight);
    if (oy < 0) continue;
    for (int64_t kx = 0; kx < g.kernelWidth; ++kx) {
      const int64_t ox = outputIndex(ix, g.strideWidth, g.padLeft, kx, g.dilationWidth, g.outWidth);
      if (ox >= 0) visit(oy * g.outWidth + ox, ky * g.kernelWidth + kx);
    }
  }
}

// The taps of the pixel being computed, per thread (reused, so no allocation per pixel).
std::vector<WindowTap>& tapScratch() {
  static thread_local std::vector<WindowTap> taps;
  taps.clear();
  return taps;
}

// The ISA's sum over a window, depth multiplier 1 (isa/depthwise_taps.h).
void sumTaps(int64_t channels, const std::vector<WindowTap>& window, const float* data, const float* kernel,
             const float* init, float* out) {
  activeKernels().depthwiseSumTaps(channels, static_cast<int64_t>(window.size()), window.data(), data, kernel, init,
                                   out);
}

// Calls pixel(n, y, x, index) for every pixel of a batch x height x width image batch (index: the
// pixel's position in NHWC order), spread over the thread pool by rows, each pixel on one thread;
// workPerPixel: its multiply-adds.
template <typename Pixel>
void forEachPixel(int64_t batch, int64_t height, int64_t width, int64_t workPerPixel, Pixel pixel) {
  runtime::parallelFor(batch * height, rowsPerChunk(width * workPerPixel), [&](int64_t firstRow, int64_t lastRow) {
    for (int64_t row = firstRow; row < lastRow; ++row) {
      for (int64_t x = 0; x < width; ++x) pixel(row / height, row % height, x, row * width + x);
    }
  });
}

}  // namespace

void depthwiseConv2dForward(const Conv2dGeometry& g, const float* input, const float* kernel, const float* bias,
                            float* output, Activation activation, float activationAlpha) {
  const int64_t C = g.inChannels, M = depthMultiplier(g), CM = g.outChannels;
  forEachPixel(
      g.batch, g.outHeight, g.outWidth, g.kernelHeight * g.kernelWidth * CM,
      [&](int64_t n, int64_t oy, int64_t ox, int64_t index) {
        const float* image = input + n * g.inHeight * g.inWidth * C;
        float* out = output + index * CM;
        std::vector<WindowTap>& window = tapScratch();
        forEachInputTap(g, oy, ox, [&](int64_t pixel, int64_t tap) { window.push_back({pixel * C, tap * CM}); });
        if (M == 1) {
          sumTaps(C, window, image, kernel, bias, out);
        } else {
          if (bias != nullptr) {
            std::copy(bias, bias + CM, out);
          } else {
            std::fill(out, out + CM, 0.0f);
          }
          for (const WindowTap& tap : window) multiplyAdd(C, M, image + tap.data, kernel + tap.kernel, out);
        }
        activate(activation, activationAlpha, CM, out);
      });
}

void depthwiseConv2dBackwardInput(const Conv2dGeometry& g, const float* gradOutput, const float* kernel,
                                  float* gradInput) {
  const int64_t C = g.inChannels, M = depthMultiplier(g), CM = g.outChannels;
  forEachPixel(
      g.batch, g.inHeight, g.inWidth, g.kernelHeight * g.kernelWidth * CM,
      [&](int64_t n, int64_t iy, int64_t ix, int64_t index) {
        const float* image = gradOutput + n * g.outHeight * g.outWidth * CM;
        float* gradIn = gradInput + index * C;
        std::vector<WindowTap>& window = tapScratch();
        forEachOutputTap(g, iy, ix, [&](int64_t pixel, int64_t tap) { window.push_back({pixel * CM, tap * CM}); });
        if (M == 1) {
          sumTaps(C, window, image, kernel, nullptr, gradIn);
        } else {
          std::fill(gradIn, gradIn + C, 0.0f);
          for (const WindowTap& tap : window) multiplyAddReduced(C, M, image + tap.data, kernel + tap.kernel, gradIn);
        }
      });
}

void depthwiseConv2dBackwardParams(const Conv2dGeometry& g, const float* input, const float* gradOutput,
                                   float* gradKernel, float* gradBias) {
  const int64_t C = g.inChannels, M = depthMultiplier(g), CM = g.outChannels;
  const int64_t taps = g.kernelHeight * g.kernelWidth;
  const int64_t kernelFloats = taps * CM;
  const int64_t partialFloats = kernelFloats + CM;  // a block's kernel gradient, then its bias gradient
  const int64_t rows = g.batch * g.outHeight;
  const int64_t blocks = std::max<int64_t>(1, std::min({kMaxBlocks, rows, kMaxPartialFloats / partialFloats,
                                                        rows / rowsPerChunk(g.outWidth * kernelFloats)}));
  const int64_t rowsPerBlock = (rows + blocks - 1) / blocks;
  std::vector<float> partials(static_cast<size_t>(blocks * partialFloats), 0.0f);
  runtime::parallelFor(blocks, 1, [&](int64_t firstBlock, int64_t lastBlock) {
    for (int64_t block = firstBlock; block < lastBlock; ++block) {
      float* partialKernel = partials.data() + block * partialFloats;
      float* partialBias = partialKernel + kernelFloats;
      for (int64_t row = block * rowsPerBlock; row < std::min(rows, (block + 1) * rowsPerBlock); ++row) {
        const int64_t n = row / g.outHeight, oy = row % g.outHeight;
        const float* image = input + n * g.inHeight * g.inWidth * C;
        for (int64_t ox = 0; ox < g.outWidth; ++ox) {
          const float* gradOut = gradOutput + (row * g.outWidth + ox) * CM;
          for (int64_t j = 0; j < CM; ++j) partialBias[j] += gradOut[j];
          forEachInputTap(g, oy, ox, [&](int64_t pixel, int64_t tap) {
            multiplyAdd(C, M, image + pixel * C, gradOut, partialKernel + tap * CM);
          });
        }
      }
    }
  });
  // The blocks' sums added in block order.
  const auto combine = [&](int64_t offset, int64_t count, float* target) {
    runtime::parallelFor(count, 4096, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        float sum = 0.0f;
        for (int64_t block = 0; block < blocks; ++block) sum += partials[block * partialFloats + offset + i];
        target[i] = sum;
      }
    });
  };
  combine(0, kernelFloats, gradKernel);
  if (gradBias != nullptr) combine(kernelFloats, CM, gradBias);
}

}  // namespace convkit::kernels
