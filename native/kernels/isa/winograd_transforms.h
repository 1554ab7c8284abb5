// Winograd F(4x4, 3x3)'s input and output transforms (the algorithm is in winograd.h, the
// matrices in winograd_matrices.h), written as plain loops over channels that each ISA's
// translation unit (scalar.cc, avx2.cc, ...) compiles with its own flags: at the baseline's 4-wide
// SSE2 they cost 40 % of the GEMMs' time. Each transform is two passes of a constant matrix over the block, and every
// output of a pass is a loop over channels alone, with the matrix row's zero coefficients left out at compile time.
// (Computing a column's six outputs together from shared subexpressions, with explicit vectors, measured 1.08-1.14x the
// time of these loops on the kernel and input gradients.) ISAs with FMA may fuse a multiply and an add where others
// round twice, so results agree across ISAs to float rounding, not bit for bit. Include only from those files: the
// anonymous namespace keeps each instantiation private to its translation unit.
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "kernels/compiler.h"
#include "kernels/isa/dispatch.h"
#include "kernels/isa/epilogue.h"
#include "kernels/isa/winograd_matrices.h"

namespace convkit::kernels {
namespace {

// Channels transformed at once, through stack arrays: each step is then a loop over channels
// alone, which the compiler vectorizes without alias checks against the tensors.
constexpr int64_t kWinogradChannelBlock = 32;

// Calls body(width) with width a compile-time constant when the channel block is full, so that
// the transforms' many short loops over channels unroll into straight vector code, with no
// remainder handling; otherwise with width as it is.
template <typename Body>
CONVKIT_ALWAYS_INLINE void withChannelWidth(int64_t width, Body&& body) {
  if (width == kWinogradChannelBlock) {
    body(std::integral_constant<int64_t, kWinogradChannelBlock>{});
  } else {
    body(width);
  }
}

// A constant matrix as a type, so that its entries are compile-time constants wherever a
// transform reads them: kMatrix itself, or its transpose.
template <int kRows, int kColumnsStored, const float (&kMatrix)[kRows][kColumnsStored], bool kTransposed>
struct ConstantMatrix {
  static constexpr int kColumns = kTransposed ? kRows : kColumnsStored;
  static constexpr float at(int row, int column) { return kTransposed ? kMatrix[column][row] : kMatrix[row][column]; }
};

// The matrices the transforms apply.
constexpr int kIn = kWinogradInputTile;
constexpr int kOut = kWinogradOutputTile;
using InputMatrix = ConstantMatrix<kIn, kIn, kWinogradBt, false>;          // Bt, 6 x 6
using InputAdjointMatrix = ConstantMatrix<kIn, kIn, kWinogradBt, true>;    // B, 6 x 6
using OutputMatrix = ConstantMatrix<kOut, kIn, kWinogradAt, false>;        // At, 4 x 6
using OutputAdjointMatrix = ConstantMatrix<kOut, kIn, kWinogradAt, true>;  // A, 6 x 4

// Calls body(std::integral_constant<int, i>{}) for i = 0 .. kCount - 1, unrolled.
template <typename Body, int... kIndex>
CONVKIT_ALWAYS_INLINE void forEachIndexOf(Body&& body, std::integer_sequence<int, kIndex...>) {
  (body(std::integral_constant<int, kIndex>{}), ...);
}
template <int kCount, typename Body>
CONVKIT_ALWAYS_INLINE void forEachIndex(Body&& body) {
  forEachIndexOf(body, std::make_integer_sequence<int, kCount>{});
}

template <class Matrix>
constexpr int firstNonZero(int row) {
  int column = 0;
  while (Matrix::at(row, column) == 0.0f) ++column;
  return column;
}

// Row kRow of Matrix times the vector whose k-th entry is x(k). Terms with a zero coefficient are
// left out (0 * x is not foldable in IEEE arithmetic), and the compiler folds those of +-1.
template <class Matrix, int kRow, typename Entry>
CONVKIT_ALWAYS_INLINE float rowTimes(const Entry& x) {
  constexpr int kFirst = firstNonZero<Matrix>(kRow);
  float sum = Matrix::at(kRow, kFirst) * x(kFirst);
  forEachIndex<Matrix::kColumns>([&](auto k) {
    if constexpr (k > kFirst && Matrix::at(kRow, k) != 0.0f) sum += Matrix::at(kRow, k) * x(k);
  });
  return sum;
}

// For each row i < kRows of Matrix: out(i)[ch] = (row i of Matrix) times (in(k)[ch] over k), for
// ch < width. One loop over channels per row, each writing one array.
template <class Matrix, int kRows, typename In, typename Out, typename Width>
CONVKIT_ALWAYS_INLINE void applyRows(const In& in, const Out& out, Width width) {
  forEachIndex<kRows>([&](auto i) {
    float* target = out(i);
    const float* source[Matrix::kColumns];
    for (int k = 0; k < Matrix::kColumns; ++k) source[k] = in(k);
    for (int64_t ch = 0; ch < width; ++ch) {
      target[ch] = rowTimes<Matrix, decltype(i)::value>([&](int k) { return source[k][ch]; });
    }
  });
}

// pixel[r][c] = the channels of pixel (top + r, left + c) of a height x width image whose pixels
// are `channels` floats apart, or `zeros` where that pixel lies outside the image.
template <int kSize>
void blockPixels(const float* image, int64_t height, int64_t width, int64_t channels, int64_t top, int64_t left,
                 const float* zeros, const float* (&pixel)[kSize][kSize]) {
  for (int64_t r = 0; r < kSize; ++r) {
    const int64_t y = top + r;
    for (int64_t c = 0; c < kSize; ++c) {
      const int64_t x = left + c;
      const bool inside = y >= 0 && y < height && x >= 0 && x < width;
      pixel[r][c] = inside ? image + (y * width + x) * channels : zeros;
    }
  }
}

// V[xi][block][c] = (Bt d B)[xi] for every 6x6 input block d of one image (zeros outside it), the
// point xi's values pointStride floats after point xi - 1's.
void winogradInputTransform(const WinogradImage& in, int64_t blockRows, int64_t blockColumns, const float* image,
                            const float* zeros, int64_t pointStride, float* transformed) {
  const int64_t channels = in.channels;
  for (int64_t by = 0; by < blockRows; ++by) {
    for (int64_t bx = 0; bx < blockColumns; ++bx) {
      const float* pixel[kIn][kIn];
      blockPixels(image, in.height, in.width, channels, kWinogradOutputTile * by - in.padTop,
                  kWinogradOutputTile * bx - in.padLeft, zeros, pixel);
      float* target = transformed + (by * blockColumns + bx) * channels;
      for (int64_t c0 = 0; c0 < channels; c0 += kWinogradChannelBlock) {
        withChannelWidth(std::min(kWinogradChannelBlock, channels - c0), [&](auto width) {
          float t[kWinogradPoints][kWinogradChannelBlock];  // Bt d: t[i * 6 + c], rows combined per column c
          for (int c = 0; c < kIn; ++c) {
            applyRows<InputMatrix, kIn>([&](int k) { return pixel[k][c] + c0; }, [&](int i) { return t[i * kIn + c]; },
                                        width);
          }
          for (int i = 0; i < kIn; ++i) {  // (Bt d) B: columns combined, written to V
            applyRows<InputMatrix, kIn>([&](int k) { return t[i * kIn + k]; },
                                        [&](int j) { return target + (i * kIn + j) * pointStride + c0; }, width);
          }
        });
      }
    }
  }
}

// target[ch] = applyEpilogue(epilogue, column0 + ch, values[ch]) for ch < width, with the
// activation chosen once rather than per value.
template <typename Width>
void storeWithEpilogue(const GemmEpilogue& epilogue, int64_t column0, const float* values, Width width, float* target) {
  const float* bias = epilogue.columnBias == nullptr ? nullptr : epilogue.columnBias + column0;
  for (int64_t ch = 0; ch < width; ++ch) target[ch] = values[ch] + (bias == nullptr ? 0.0f : bias[ch]);
  if (epilogue.activation == Activation::Relu) {
    for (int64_t ch = 0; ch < width; ++ch) target[ch] = target[ch] < 0.0f ? 0.0f : target[ch];
  } else if (epilogue.activation == Activation::LeakyRelu) {
    for (int64_t ch = 0; ch < width; ++ch) target[ch] = target[ch] < 0.0f ? epilogue.alpha * target[ch] : target[ch];
  }
}

// output block = epilogue((At m A)) for every block's 36 products m (point xi at pointStride
// floats after point xi - 1), the pixels inside the output.
void winogradOutputTransform(const WinogradImage& out, int64_t blockRows, int64_t blockColumns, const float* products,
                             int64_t pointStride, const GemmEpilogue& epilogue, float* output) {
  const int64_t channels = out.channels;
  for (int64_t by = 0; by < blockRows; ++by) {
    for (int64_t bx = 0; bx < blockColumns; ++bx) {
      const float* m = products + (by * blockColumns + bx) * channels;
      for (int64_t c0 = 0; c0 < channels; c0 += kWinogradChannelBlock) {
        withChannelWidth(std::min(kWinogradChannelBlock, channels - c0), [&](auto width) {
          float t[kOut * kIn][kWinogradChannelBlock];  // At m: t[r * 6 + c], rows combined per column c
          for (int c = 0; c < kIn; ++c) {
            applyRows<OutputMatrix, kOut>([&](int k) { return m + (k * kIn + c) * pointStride + c0; },
                                          [&](int r) { return t[r * kIn + c]; }, width);
          }
          float y[kOut * kOut][kWinogradChannelBlock];  // (At m) A: the 4x4 block, row-major
          for (int r = 0; r < kOut; ++r) {
            applyRows<OutputMatrix, kOut>([&](int k) { return t[r * kIn + k]; }, [&](int q) { return y[r * kOut + q]; },
                                          width);
          }
          for (int64_t r = 0; r < kOut; ++r) {
            const int64_t oy = kOut * by + r;
            for (int64_t q = 0; q < kOut; ++q) {
              const int64_t ox = kOut * bx + q;
              if (oy >= out.height || ox >= out.width) continue;
              storeWithEpilogue(epilogue, c0, y[r * kOut + q], width, output + (oy * out.width + ox) * channels + c0);
            }
          }
        });
      }
    }
  }
}

// dM[xi][block][c] = (A dy At)[xi] for every 4x4 block dy of one image's output gradient (zeros
// past its edge), point xi's values pointStride floats after point xi - 1's: the output
// transform's adjoint, which carries the gradient back to the 36 products for the kernel gradient.
void winogradOutputGradientTransform(const WinogradImage& out, int64_t blockRows, int64_t blockColumns,
                                     const float* gradOutput, const float* zeros, int64_t pointStride,
                                     float* transformed) {
  const int64_t channels = out.channels;
  for (int64_t by = 0; by < blockRows; ++by) {
    for (int64_t bx = 0; bx < blockColumns; ++bx) {
      const float* pixel[kOut][kOut];
      blockPixels(gradOutput, out.height, out.width, channels, kOut * by, kOut * bx, zeros, pixel);
      float* target = transformed + (by * blockColumns + bx) * channels;
      for (int64_t c0 = 0; c0 < channels; c0 += kWinogradChannelBlock) {
        withChannelWidth(std::min(kWinogradChannelBlock, channels - c0), [&](auto width) {
          float t[kIn * kOut][kWinogradChannelBlock];  // A dy: t[i * 4 + q], rows spread to six per column q
          for (int q = 0; q < kOut; ++q) {
            applyRows<OutputAdjointMatrix, kIn>([&](int r) { return pixel[r][q] + c0; },
                                                [&](int i) { return t[i * kOut + q]; }, width);
          }
          for (int i = 0; i < kIn; ++i) {  // (A dy) At: columns spread to six, written to dM
            applyRows<OutputAdjointMatrix, kIn>([&](int q) { return t[i * kOut + q]; },
                                                [&](int j) { return target + (i * kIn + j) * pointStride + c0; },
                                                width);
          }
        });
      }
    }
  }
}

// gradImage += B dV Bt for every block's 36 transformed input gradients dV (point xi's values
// pointStride floats after point xi - 1's), each 6x6 result added onto the input pixels its block
// read (neighbouring blocks overlap by two pixels; those outside the image, padding, are dropped):
// the input transform's adjoint, which carries the gradient from the 36 GEMMs back to the input.
void winogradInputGradientTransform(const WinogradImage& in, int64_t blockRows, int64_t blockColumns,
                                    const float* transformed, int64_t pointStride, float* gradImage) {
  const int64_t channels = in.channels;
  for (int64_t by = 0; by < blockRows; ++by) {
    for (int64_t bx = 0; bx < blockColumns; ++bx) {
      const float* dv = transformed + (by * blockColumns + bx) * channels;
      const int64_t top = kWinogradOutputTile * by - in.padTop;
      const int64_t left = kWinogradOutputTile * bx - in.padLeft;
      for (int64_t c0 = 0; c0 < channels; c0 += kWinogradChannelBlock) {
        withChannelWidth(std::min(kWinogradChannelBlock, channels - c0), [&](auto width) {
          float t[kWinogradPoints][kWinogradChannelBlock];  // B dV: t[i * 6 + c], rows spread per column c
          for (int c = 0; c < kIn; ++c) {
            applyRows<InputAdjointMatrix, kIn>([&](int k) { return dv + (k * kIn + c) * pointStride + c0; },
                                               [&](int i) { return t[i * kIn + c]; }, width);
          }
          float dd[kWinogradPoints][kWinogradChannelBlock];  // (B dV) Bt: the 6x6 block, row-major
          for (int i = 0; i < kIn; ++i) {
            applyRows<InputAdjointMatrix, kIn>([&](int k) { return t[i * kIn + k]; },
                                               [&](int j) { return dd[i * kIn + j]; }, width);
          }
          for (int64_t i = 0; i < kIn; ++i) {
            const int64_t y = top + i;
            for (int64_t j = 0; j < kIn; ++j) {
              const int64_t x = left + j;
              if (y < 0 || y >= in.height || x < 0 || x >= in.width) continue;
              float* pixel = gradImage + (y * in.width + x) * channels + c0;
              for (int64_t ch = 0; ch < width; ++ch) pixel[ch] += dd[i * kIn + j][ch];
            }
          }
        });
      }
    }
  }
}

}  // namespace
}  // namespace convkit::kernels
