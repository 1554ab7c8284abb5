// Winograd F(2x2, 3x3)'s input and output transforms (the algorithm is in winograd.h), written as
// plain loops over channels that each ISA's translation unit (gemm_scalar.cc, gemm_avx2.cc, ...)
// compiles with its own flags: at the baseline's 4-wide SSE2 they cost 40 % of the GEMMs'
// time. They only add and subtract, so every ISA gives the same bits. Include only from those
// files: the anonymous namespace keeps each instantiation private to its translation unit.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/conv2d.h"
#include "kernels/gemm.h"
#include "kernels/winograd.h"

namespace convkit::kernels {
namespace {

// Channels transformed at once, through stack arrays: each step is then a loop over channels
// alone, which the compiler vectorizes without alias checks against the tensors.
constexpr int64_t kWinogradChannelBlock = 64;

// V[xi][block][c] = (Bt d B)[xi] for every 4x4 input block d of one image (zeros outside it), the
// point xi's values pointStride floats after point xi - 1's.
void winogradInputTransform(const Conv2dGeometry& g, int64_t blockRows, int64_t blockColumns, const float* image,
                            const float* zeros, int64_t pointStride, float* transformed) {
  const int64_t channels = g.inChannels;
  for (int64_t by = 0; by < blockRows; ++by) {
    for (int64_t bx = 0; bx < blockColumns; ++bx) {
      const float* pixel[4][4];
      for (int64_t r = 0; r < 4; ++r) {
        const int64_t iy = 2 * by - g.padTop + r;
        for (int64_t c = 0; c < 4; ++c) {
          const int64_t ix = 2 * bx - g.padLeft + c;
          const bool inside = iy >= 0 && iy < g.inHeight && ix >= 0 && ix < g.inWidth;
          pixel[r][c] = inside ? image + (iy * g.inWidth + ix) * channels : zeros;
        }
      }
      float* target = transformed + (by * blockColumns + bx) * channels;
      for (int64_t c0 = 0; c0 < channels; c0 += kWinogradChannelBlock) {
        const int64_t width = std::min(kWinogradChannelBlock, channels - c0);
        // Each step a loop over channels alone, so that it vectorizes.
        float t[kWinogradPoints][kWinogradChannelBlock];  // Bt d: rows combined, per column
        for (int c = 0; c < 4; ++c) {
          const float *d0 = pixel[0][c] + c0, *d1 = pixel[1][c] + c0, *d2 = pixel[2][c] + c0, *d3 = pixel[3][c] + c0;
          for (int64_t ch = 0; ch < width; ++ch) {
            t[0 + c][ch] = d0[ch] - d2[ch];
            t[4 + c][ch] = d1[ch] + d2[ch];
            t[8 + c][ch] = d2[ch] - d1[ch];
            t[12 + c][ch] = d1[ch] - d3[ch];
          }
        }
        for (int r = 0; r < 4; ++r) {  // (Bt d) B: columns combined, written to V
          const float *t0 = t[r * 4], *t1 = t[r * 4 + 1], *t2 = t[r * 4 + 2], *t3 = t[r * 4 + 3];
          float* v0 = target + (r * 4 + 0) * pointStride + c0;
          float* v1 = target + (r * 4 + 1) * pointStride + c0;
          float* v2 = target + (r * 4 + 2) * pointStride + c0;
          float* v3 = target + (r * 4 + 3) * pointStride + c0;
          for (int64_t ch = 0; ch < width; ++ch) {
            v0[ch] = t0[ch] - t2[ch];
            v1[ch] = t1[ch] + t2[ch];
            v2[ch] = t2[ch] - t1[ch];
            v3[ch] = t1[ch] - t3[ch];
          }
        }
      }
    }
  }
}

// target[ch] = applyEpilogue(epilogue, column0 + ch, values[ch]) for ch < width, with the
// activation chosen once rather than per value.
void storeWithEpilogue(const GemmEpilogue& epilogue, int64_t column0, const float* values, int64_t width,
                       float* target) {
  const float* bias = epilogue.columnBias == nullptr ? nullptr : epilogue.columnBias + column0;
  for (int64_t ch = 0; ch < width; ++ch) target[ch] = values[ch] + (bias == nullptr ? 0.0f : bias[ch]);
  if (epilogue.activation == Activation::Relu) {
    for (int64_t ch = 0; ch < width; ++ch) target[ch] = target[ch] < 0.0f ? 0.0f : target[ch];
  } else if (epilogue.activation == Activation::LeakyRelu) {
    for (int64_t ch = 0; ch < width; ++ch) target[ch] = target[ch] < 0.0f ? epilogue.alpha * target[ch] : target[ch];
  }
}

// output block = epilogue((At m A)) for every block's 16 products m, the pixels inside the output.
void winogradOutputTransform(const Conv2dGeometry& g, int64_t blockRows, int64_t blockColumns, const float* products,
                             const GemmEpilogue& epilogue, float* output) {
  const int64_t channels = g.outChannels;
  const int64_t blocks = blockRows * blockColumns;
  for (int64_t by = 0; by < blockRows; ++by) {
    for (int64_t bx = 0; bx < blockColumns; ++bx) {
      const float* m = products + (by * blockColumns + bx) * channels;
      for (int64_t c0 = 0; c0 < channels; c0 += kWinogradChannelBlock) {
        const int64_t width = std::min(kWinogradChannelBlock, channels - c0);
        float t[8][kWinogradChannelBlock];  // At m: rows combined, per column
        for (int c = 0; c < 4; ++c) {
          const float* m0 = m + (0 * 4 + c) * blocks * channels + c0;
          const float* m1 = m + (1 * 4 + c) * blocks * channels + c0;
          const float* m2 = m + (2 * 4 + c) * blocks * channels + c0;
          const float* m3 = m + (3 * 4 + c) * blocks * channels + c0;
          for (int64_t ch = 0; ch < width; ++ch) {
            t[c][ch] = m0[ch] + m1[ch] + m2[ch];
            t[4 + c][ch] = m1[ch] - m2[ch] - m3[ch];
          }
        }
        float y[4][kWinogradChannelBlock];  // (At m) A: the 2x2 block, row-major
        for (int r = 0; r < 2; ++r) {
          const float *t0 = t[r * 4], *t1 = t[r * 4 + 1], *t2 = t[r * 4 + 2], *t3 = t[r * 4 + 3];
          for (int64_t ch = 0; ch < width; ++ch) {
            y[r * 2][ch] = t0[ch] + t1[ch] + t2[ch];
            y[r * 2 + 1][ch] = t1[ch] - t2[ch] - t3[ch];
          }
        }
        for (int64_t r = 0; r < 2; ++r) {
          const int64_t oy = 2 * by + r;
          for (int64_t c = 0; c < 2; ++c) {
            const int64_t ox = 2 * bx + c;
            if (oy >= g.outHeight || ox >= g.outWidth) continue;
            storeWithEpilogue(epilogue, c0, y[r * 2 + c], width, output + (oy * g.outWidth + ox) * channels + c0);
          }
        }
      }
    }
  }
}

// dM[xi][block][c] = (A dy At)[xi] for every 2x2 block dy of one image's output gradient (zeros
// past its edge), point xi's values pointStride floats after point xi - 1's: the output
// transform's adjoint, which carries the gradient back to the 16 products for the kernel gradient.
void winogradOutputGradientTransform(const Conv2dGeometry& g, int64_t blockRows, int64_t blockColumns,
                                     const float* gradOutput, const float* zeros, int64_t pointStride,
                                     float* transformed) {
  const int64_t channels = g.outChannels;
  for (int64_t by = 0; by < blockRows; ++by) {
    for (int64_t bx = 0; bx < blockColumns; ++bx) {
      const float* pixel[2][2];
      for (int64_t r = 0; r < 2; ++r) {
        for (int64_t c = 0; c < 2; ++c) {
          const int64_t oy = 2 * by + r;
          const int64_t ox = 2 * bx + c;
          const bool inside = oy < g.outHeight && ox < g.outWidth;
          pixel[r][c] = inside ? gradOutput + (oy * g.outWidth + ox) * channels : zeros;
        }
      }
      float* target = transformed + (by * blockColumns + bx) * channels;
      for (int64_t c0 = 0; c0 < channels; c0 += kWinogradChannelBlock) {
        const int64_t width = std::min(kWinogradChannelBlock, channels - c0);
        float t[8][kWinogradChannelBlock];  // A dy: rows spread to four, per column
        for (int c = 0; c < 2; ++c) {
          const float *y0 = pixel[0][c] + c0, *y1 = pixel[1][c] + c0;
          for (int64_t ch = 0; ch < width; ++ch) {
            t[0 + c][ch] = y0[ch];
            t[2 + c][ch] = y0[ch] + y1[ch];
            t[4 + c][ch] = y0[ch] - y1[ch];
            t[6 + c][ch] = -y1[ch];
          }
        }
        for (int r = 0; r < 4; ++r) {  // (A dy) At: columns spread to four, written to dM
          const float *t0 = t[r * 2], *t1 = t[r * 2 + 1];
          float* m0 = target + (r * 4 + 0) * pointStride + c0;
          float* m1 = target + (r * 4 + 1) * pointStride + c0;
          float* m2 = target + (r * 4 + 2) * pointStride + c0;
          float* m3 = target + (r * 4 + 3) * pointStride + c0;
          for (int64_t ch = 0; ch < width; ++ch) {
            m0[ch] = t0[ch];
            m1[ch] = t0[ch] + t1[ch];
            m2[ch] = t0[ch] - t1[ch];
            m3[ch] = -t1[ch];
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace convkit::kernels
