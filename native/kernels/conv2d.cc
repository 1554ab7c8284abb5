#include "kernels/conv2d.h"

#include <algorithm>
#include <cstring>

#include "kernels/bias.h"
#include "kernels/gemm.h"

namespace convkit::kernels {
namespace {

bool skipsIm2col(const Conv2dGeometry& g) {
  return g.kernelHeight == 1 && g.kernelWidth == 1 && g.strideHeight == 1 && g.strideWidth == 1 &&
         g.padTop == 0 && g.padLeft == 0 && g.outHeight == g.inHeight && g.outWidth == g.inWidth;
}

int64_t patchSize(const Conv2dGeometry& g) {
  return g.kernelHeight * g.kernelWidth * g.inChannels;
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

}  // namespace

size_t conv2dWorkspaceSize(const Conv2dGeometry& g) {
  if (skipsIm2col(g)) return 0;
  return static_cast<size_t>(g.outHeight * g.outWidth * patchSize(g));
}

void conv2dForward(const Conv2dGeometry& g, const float* input, const float* kernel,
                   const float* bias, float* output, float* workspace) {
  const int64_t pixels = g.outHeight * g.outWidth;
  const int64_t k = patchSize(g);
  if (skipsIm2col(g)) {
    gemm(Transpose::No, Transpose::No, g.batch * pixels, g.outChannels, k, 1.0f, input, k, kernel,
         g.outChannels, 0.0f, output, g.outChannels);
  } else {
    const int64_t inImage = g.inHeight * g.inWidth * g.inChannels;
    for (int64_t n = 0; n < g.batch; ++n) {
      im2col(g, input + n * inImage, workspace);
      gemm(Transpose::No, Transpose::No, pixels, g.outChannels, k, 1.0f, workspace, k, kernel,
           g.outChannels, 0.0f, output + n * pixels * g.outChannels, g.outChannels);
    }
  }
  if (bias != nullptr) addRowBias(g.batch * pixels, g.outChannels, bias, output);
}

void conv2dBackwardInput(const Conv2dGeometry& g, const float* gradOutput, const float* kernel,
                         float* gradInput, float* workspace) {
  const int64_t pixels = g.outHeight * g.outWidth;
  const int64_t k = patchSize(g);
  if (skipsIm2col(g)) {
    gemm(Transpose::No, Transpose::Yes, g.batch * pixels, k, g.outChannels, 1.0f, gradOutput,
         g.outChannels, kernel, g.outChannels, 0.0f, gradInput, k);
    return;
  }
  const int64_t inImage = g.inHeight * g.inWidth * g.inChannels;
  std::fill(gradInput, gradInput + g.batch * inImage, 0.0f);
  for (int64_t n = 0; n < g.batch; ++n) {
    // columns [pixels, k] = gradOutput [pixels, outC] * kernel^T [outC, k]
    gemm(Transpose::No, Transpose::Yes, pixels, k, g.outChannels, 1.0f,
         gradOutput + n * pixels * g.outChannels, g.outChannels, kernel, g.outChannels, 0.0f,
         workspace, k);
    col2im(g, workspace, gradInput + n * inImage);
  }
}

void conv2dBackwardParams(const Conv2dGeometry& g, const float* input, const float* gradOutput,
                          float* gradKernel, float* gradBias, float* workspace) {
  const int64_t pixels = g.outHeight * g.outWidth;
  const int64_t k = patchSize(g);
  if (skipsIm2col(g)) {
    gemm(Transpose::Yes, Transpose::No, k, g.outChannels, g.batch * pixels, 1.0f, input, k,
         gradOutput, g.outChannels, 0.0f, gradKernel, g.outChannels);
  } else {
    const int64_t inImage = g.inHeight * g.inWidth * g.inChannels;
    for (int64_t n = 0; n < g.batch; ++n) {
      // gradKernel [k, outC] += columns^T [k, pixels] * gradOutput [pixels, outC]
      im2col(g, input + n * inImage, workspace);
      gemm(Transpose::Yes, Transpose::No, k, g.outChannels, pixels, 1.0f, workspace, k,
           gradOutput + n * pixels * g.outChannels, g.outChannels, n == 0 ? 0.0f : 1.0f,
           gradKernel, g.outChannels);
    }
  }
  if (gradBias != nullptr) sumRows(g.batch * pixels, g.outChannels, gradOutput, gradBias);
}

}  // namespace convkit::kernels
