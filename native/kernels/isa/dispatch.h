// The kernel registry: which SIMD instruction sets this build carries and this CPU can run, and the
// one chosen for the whole process. Each ISA lives in its own translation unit of this directory,
// compiled with its own flags (scalar.cc, avx2.cc, avx512.cc, neon.cc), and publishes a table of
// its kernels here; everything else, including the GEMM driver, is built for the baseline ISA and
// reaches SIMD code only through that table, after the CPU check.
//
// The tables take plain sizes and pointers (and the small structs below), never an operator's
// geometry: the operators (gemm.cc, winograd.cc, pooling.cc) unpack theirs when they call through
// a table, and nothing in this directory includes an operator header.
#pragma once

#include <cstdint>

#include "kernels/isa/epilogue.h"

namespace convkit::kernels {

enum class Isa { Scalar, Avx2, Avx512, Neon };

// Every ISA the registry knows, from the portable reference to the widest.
inline constexpr Isa kAllIsas[] = {Isa::Scalar, Isa::Avx2, Isa::Avx512, Isa::Neon};

// A column of register tiles down one nr-wide sliver of B: rows of C in tiles of mr rows (the
// last one possibly shorter), tile t reading A from a + t * aTileStride. kc >= 1. For each tile:
//   tile[r][j] = sum over p < kc of a[r * aRowStride + p * aDepthStride] * b[p * bDepthStride + j]
//   C[r][j] = alpha * tile[r][j] + beta * C[r][j]   for r < its rows, j < cols (cols <= nr)
// beta == 0 overwrites C without reading it, so NaN already in C never leaks into the result.
// When epilogue is not null (the last depth panel of a GEMM with one), C[r][j] then becomes
// applyEpilogue(*epilogue, j, C[r][j]): its columnBias already points at the sliver's first column.
// A is either packed slivers (aRowStride 1, aDepthStride mr, aTileStride mr * kc) or op(A) read in
// place; only the first `rows` rows are read. B is a sliver of kc groups of nr floats, packed
// (bDepthStride nr, zero-padded past `cols`) or a whole sliver of row-major op(B) read in place
// (bDepthStride ldb). One call covers a whole column, not one tile, because at small depths (a 3x3
// convolution of one channel: kc = 9) a call's fixed cost is as large as the tile's arithmetic.
using GemmMicroKernel = void (*)(int64_t kc, const float* a, int64_t aRowStride, int64_t aDepthStride,
                                 int64_t aTileStride, const float* b, int64_t bDepthStride, float alpha, float beta,
                                 float* c, int64_t ldc, int64_t rows, int64_t cols, const GemmEpilogue* epilogue);

// The same column with op(A) given indirectly, as a convolution reads its input without an im2col
// copy: row r of op(A) is the concatenation over taps s < taps of the tapDepth floats at
// rowTap(r, s) = a[r * aRowStride + s] + aOffset, or at `zero` itself where the table holds `zero`
// (padding). aOffset lets one table serve every chunk of images, each at its own offset. taps and
// tapDepth are >= 1.
//   tile[r][j] = sum over s, p < tapDepth of rowTap(r, s)[p] * packedB[(s * tapDepth + p) * nr + j]
//   C[r][j] = tile[r][j] + beta * C[r][j], then the epilogue, as GemmMicroKernel.
using GemmIndirectMicroKernel = void (*)(int64_t taps, int64_t tapDepth, const float* const* a, int64_t aRowStride,
                                         int64_t aOffset, const float* zero, const float* packedB, float beta, float* c,
                                         int64_t ldc, int64_t rows, int64_t cols, const GemmEpilogue* epilogue);

// A micro-kernel with the blocking its driver must use: B is packed kc x nc (nr-wide slivers),
// A mc x kc (mr-tall slivers). mc is a multiple of mr and nc of nr.
struct GemmKernelInfo {
  int64_t mr;
  int64_t nr;
  int64_t kc;
  int64_t mc;
  int64_t nc;
  GemmMicroKernel microKernel;
  GemmIndirectMicroKernel indirectMicroKernel;  // same tile, mr x nr
};

// One image of a Winograd convolution as its transforms see it: height x width pixels of
// `channels` floats each, row-major, and the padding above and left of it, where the first block
// starts (the input's; the output's blocks start at its first pixel, and its padding is 0).
struct WinogradImage {
  int64_t height, width, channels;
  int64_t padTop, padLeft;
};

// Winograd F(4x4, 3x3)'s transforms (winograd.h, winograd_transforms.h) for one image of
// blockRows x blockColumns output blocks: input pixels to V [36][blocks][inC]; the 36 GEMMs'
// products [36][blocks][outC] to output pixels through the epilogue; for both gradients,
// output-gradient pixels to dM [36][blocks][outC]; and, for the input gradient, the 36 GEMMs'
// dV [36][blocks][inC] added onto the input-gradient pixels. V, the products, dM and dV place the
// 36 points pointStride floats apart, so that several images' blocks can follow one another within
// a point. `in` is the convolution's input image, `out` its output image.
struct WinogradTransforms {
  void (*input)(const WinogradImage& in, int64_t blockRows, int64_t blockColumns, const float* image,
                const float* zeros, int64_t pointStride, float* transformed);
  void (*output)(const WinogradImage& out, int64_t blockRows, int64_t blockColumns, const float* products,
                 int64_t pointStride, const GemmEpilogue& epilogue, float* output);
  void (*outputGradient)(const WinogradImage& out, int64_t blockRows, int64_t blockColumns, const float* gradOutput,
                         const float* zeros, int64_t pointStride, float* transformed);
  void (*inputGradient)(const WinogradImage& in, int64_t blockRows, int64_t blockColumns, const float* transformed,
                        int64_t pointStride, float* gradImage);
};

// The byte max pooling records per output element for its backward, as
// maxPool2dForwardRecordingWinners (pooling.h) defines it: the winning pixel's index within its
// window under kWinnerIndexMask, plus kPositiveMaxBit when the max is > 0.
constexpr uint8_t kWinnerIndexMask = 0x7f;
constexpr uint8_t kPositiveMaxBit = 0x80;

// Max pooling's runs of whole 2x2 windows along an output row (maxpool2x2.h): the max, the max
// with its winner bytes, and the output gradient routed to the recorded winners.
struct MaxPool2x2Runs {
  void (*max)(int64_t windows, int64_t channels, int64_t windowStride, const float* top, const float* bottom,
              float* output);
  void (*recordMax)(int64_t windows, int64_t channels, int64_t windowStride, const float* top, const float* bottom,
                    float* output, uint8_t* winners);
  void (*routeToWinners)(int64_t windows, int64_t channels, int64_t windowStride, const uint8_t* winners,
                         const float* gradOutput, float* gradTop, float* gradBottom, float slopeAtNonPositive);
};

// One tap of a pixel's window for the depthwise convolution: where its operand (an input pixel,
// or an output-gradient pixel) and its kernel tap start, in floats.
struct WindowTap {
  int64_t data;
  int64_t kernel;
};

// The depthwise convolution's sum over one pixel's window (depthwise_taps.h), depth multiplier 1:
//   out[c] = (init ? init[c] : 0) + sum over t < taps, in order, of
//            data[window[t].data + c] * kernel[window[t].kernel + c]        for c < channels
// The forward takes the input and the bias as init, the input gradient the output gradient.
using DepthwiseSumTaps = void (*)(int64_t channels, int64_t taps, const WindowTap* window, const float* data,
                                  const float* kernel, const float* init, float* out);

// The kernels one ISA provides.
struct IsaKernels {
  const char* name;
  GemmKernelInfo gemm;
  // Runs `rounds` iterations of independent multiply-adds on registers only (the ISA's widest
  // FMA, or mul + add where it has none) and returns the floating-point operations done; `sink`
  // seeds the operands and receives a result, so nothing can be optimized away.
  double (*multiplyAddLoop)(int64_t rounds, float* sink);
  WinogradTransforms winograd;
  MaxPool2x2Runs maxPool2x2;
  DepthwiseSumTaps depthwiseSumTaps;
};

// Tables defined by the per-ISA translation units; only those compiled into this build exist.
extern const IsaKernels kScalarKernels;
extern const IsaKernels kAvx2Kernels;
extern const IsaKernels kAvx512Kernels;
extern const IsaKernels kNeonKernels;

// "scalar", "avx2", "avx512" or "neon".
const char* isaName(Isa isa);

// True when this build carries the ISA's kernels and the CPU and the OS can run them.
bool isaAvailable(Isa isa);

// The ISA every kernel uses in this process, chosen on first use: CONVKIT_ISA when it names an
// available ISA, otherwise the best available one (an unknown or unavailable request falls back
// silently; activeIsa() tells what was chosen).
Isa activeIsa();

// The kernel table of activeIsa().
const IsaKernels& activeKernels();

// The kernel table of an available ISA (nullptr when isaAvailable(isa) is false).
const IsaKernels* kernelsFor(Isa isa);

// Measured floating-point operations per second of the ISA's multiply-add loop on the calling
// thread, run for about `seconds`: the single-thread peak that GEMM efficiency is judged against.
// Returns 0 when the ISA is not available.
double measurePeakFlops(Isa isa, double seconds);

}  // namespace convkit::kernels
