#include "kernels/conv2d.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/bias.h"
#include "kernels/gemm.h"
#include "runtime/thread_pool.h"

namespace convkit::kernels {
namespace {

// Images per parallel chunk: a fixed size, so the partial sums of the weight gradient are added
// in the same order whatever the thread count (bit-identical results for 1, 2 or 3 threads).
constexpr int64_t kImagesPerChunk = 4;

bool skipsIm2col(const Conv2dGeometry& g) {
  return g.kernelHeight == 1 && g.kernelWidth == 1 && g.strideHeight == 1 && g.strideWidth == 1 &&
         g.padTop == 0 && g.padLeft == 0 && g.outHeight == g.inHeight && g.outWidth == g.inWidth;
}

int64_t patchSize(const Conv2dGeometry& g) {
  return g.kernelHeight * g.kernelWidth * g.inChannels;
}

// This thread's im2col buffer, grown on demand and kept for the next call.
float* columnScratch(size_t floats) {
  thread_local std::vector<float> columns;
  if (columns.size() < floats) columns.resize(floats);
  return columns.data();
}

// Calls visit(colRow, iy, ix) for every (output pixel, kernel tap): colRow points at the inChannels
// floats of the im2col row for that tap; iy/ix are the input coordinates, possibly in the padding.
// im2col and col2im are the two directions of this one traversal.
template <typename Visit>
void forEachTap(const Conv2dGeometry& g, float* columns, Visit visit) {
  float* colRow = columns;
  for (int64_t oy = 0; oy < g.outHeight; ++oy) {
    for (int64_t ox = 0; ox < g.outWidth; ++ox) {
      for (int64_t ky = 0; ky < g.kernelHeight; ++ky) {
        const int64_t iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
        for (int64_t kx = 0; kx < g.kernelWidth; ++kx) {
          const int64_t ix = ox * g.strideWidth - g.padLeft + kx * g.dilationWidth;
          visit(colRow, iy, ix);
          colRow += g.inChannels;
        }
      }
    }
  }
}

bool inside(const Conv2dGeometry& g, int64_t iy, int64_t ix) {
  return iy >= 0 && iy < g.inHeight && ix >= 0 && ix < g.inWidth;
}

// image [inH, inW, inC] -> columns [outH*outW, kh*kw*inC]
void im2col(const Conv2dGeometry& g, const float* image, float* columns) {
  const size_t bytes = sizeof(float) * g.inChannels;
  forEachTap(g, columns, [&](float* colRow, int64_t iy, int64_t ix) {
    if (inside(g, iy, ix)) {
      std::memcpy(colRow, image + (iy * g.inWidth + ix) * g.inChannels, bytes);
    } else {
      std::memset(colRow, 0, bytes);
    }
  });
}

// Scatter-adds columns back into image (which the caller zeroed): the adjoint of im2col.
void col2im(const Conv2dGeometry& g, float* columns, float* image) {
  forEachTap(g, columns, [&](float* colRow, int64_t iy, int64_t ix) {
    if (!inside(g, iy, ix)) return;
    float* pixel = image + (iy * g.inWidth + ix) * g.inChannels;
    for (int64_t c = 0; c < g.inChannels; ++c) pixel[c] += colRow[c];
  });
}

// Runs perImage(n, columns) for every image, spread over the pool in fixed chunks, with a per-thread
// im2col buffer; chunk(c, first, last) brackets each chunk.
template <typename PerImage>
void forEachImage(const Conv2dGeometry& g, PerImage perImage) {
  const auto columnFloats = static_cast<size_t>(g.outHeight * g.outWidth * patchSize(g));
  const int64_t chunks = (g.batch + kImagesPerChunk - 1) / kImagesPerChunk;
  runtime::parallelFor(chunks, 1, [&](int64_t firstChunk, int64_t lastChunk) {
    float* columns = columnScratch(columnFloats);
    for (int64_t chunk = firstChunk; chunk < lastChunk; ++chunk) {
      const int64_t end = std::min(g.batch, (chunk + 1) * kImagesPerChunk);
      for (int64_t n = chunk * kImagesPerChunk; n < end; ++n) perImage(chunk, n, columns);
    }
  });
}

}  // namespace

void conv2dForward(const Conv2dGeometry& g, const float* input, const float* kernel,
                   const float* bias, float* output) {
  const int64_t pixels = g.outHeight * g.outWidth;
  const int64_t k = patchSize(g);
  if (skipsIm2col(g)) {
    gemm(Transpose::No, Transpose::No, g.batch * pixels, g.outChannels, k, 1.0f, input, k, kernel,
         g.outChannels, 0.0f, output, g.outChannels);
  } else {
    const int64_t inImage = g.inHeight * g.inWidth * g.inChannels;
    forEachImage(g, [&](int64_t, int64_t n, float* columns) {
      im2col(g, input + n * inImage, columns);
      gemm(Transpose::No, Transpose::No, pixels, g.outChannels, k, 1.0f, columns, k, kernel,
           g.outChannels, 0.0f, output + n * pixels * g.outChannels, g.outChannels);
    });
  }
  if (bias != nullptr) addRowBias(g.batch * pixels, g.outChannels, bias, output);
}

void conv2dBackwardInput(const Conv2dGeometry& g, const float* gradOutput, const float* kernel,
                         float* gradInput) {
  const int64_t pixels = g.outHeight * g.outWidth;
  const int64_t k = patchSize(g);
  if (skipsIm2col(g)) {
    gemm(Transpose::No, Transpose::Yes, g.batch * pixels, k, g.outChannels, 1.0f, gradOutput,
         g.outChannels, kernel, g.outChannels, 0.0f, gradInput, k);
    return;
  }
  const int64_t inImage = g.inHeight * g.inWidth * g.inChannels;
  forEachImage(g, [&](int64_t, int64_t n, float* columns) {
    // columns [pixels, k] = gradOutput [pixels, outC] * kernel^T [outC, k]
    gemm(Transpose::No, Transpose::Yes, pixels, k, g.outChannels, 1.0f,
         gradOutput + n * pixels * g.outChannels, g.outChannels, kernel, g.outChannels, 0.0f,
         columns, k);
    float* image = gradInput + n * inImage;
    std::fill(image, image + inImage, 0.0f);
    col2im(g, columns, image);
  });
}

void conv2dBackwardParams(const Conv2dGeometry& g, const float* input, const float* gradOutput,
                          float* gradKernel, float* gradBias) {
  const int64_t pixels = g.outHeight * g.outWidth;
  const int64_t k = patchSize(g);
  if (skipsIm2col(g)) {
    gemm(Transpose::Yes, Transpose::No, k, g.outChannels, g.batch * pixels, 1.0f, input, k,
         gradOutput, g.outChannels, 0.0f, gradKernel, g.outChannels);
  } else {
    // Each chunk of images sums its gradient into its own slot; the slots are then added in chunk
    // order, so the result is the same for any number of threads.
    const int64_t kernelFloats = k * g.outChannels;
    const int64_t chunks = (g.batch + kImagesPerChunk - 1) / kImagesPerChunk;
    thread_local std::vector<float> partials;
    std::vector<float>& slots = partials;
    if (slots.size() < static_cast<size_t>(chunks * kernelFloats)) slots.resize(static_cast<size_t>(chunks * kernelFloats));
    const int64_t inImage = g.inHeight * g.inWidth * g.inChannels;
    forEachImage(g, [&](int64_t chunk, int64_t n, float* columns) {
      // slot [k, outC] += columns^T [k, pixels] * gradOutput [pixels, outC]
      im2col(g, input + n * inImage, columns);
      gemm(Transpose::Yes, Transpose::No, k, g.outChannels, pixels, 1.0f, columns, k,
           gradOutput + n * pixels * g.outChannels, g.outChannels, n % kImagesPerChunk == 0 ? 0.0f : 1.0f,
           slots.data() + chunk * kernelFloats, g.outChannels);
    });
    std::copy(slots.begin(), slots.begin() + kernelFloats, gradKernel);
    for (int64_t chunk = 1; chunk < chunks; ++chunk) {
      const float* slot = slots.data() + chunk * kernelFloats;
      for (int64_t i = 0; i < kernelFloats; ++i) gradKernel[i] += slot[i];
    }
  }
  if (gradBias != nullptr) sumRows(g.batch * pixels, g.outChannels, gradOutput, gradBias);
}

}  // namespace convkit::kernels
