#include "kernels/conv2d.h"

#include <algorithm>
#include <vector>

#include "kernels/bias.h"
#include "kernels/gemm.h"
#include "kernels/winograd.h"
#include "runtime/thread_pool.h"

namespace convkit::kernels {
namespace {

// Images per parallel chunk: a fixed size, so the partial sums of the weight gradient are added
// in the same order whatever the thread count (bit-identical results for 1, 2 or 3 threads).
constexpr int64_t kImagesPerChunk = 4;

bool skipsIm2col(const Conv2dGeometry& g) {
  return g.kernelHeight == 1 && g.kernelWidth == 1 && g.strideHeight == 1 && g.strideWidth == 1 && g.padTop == 0 &&
         g.padLeft == 0 && g.outHeight == g.inHeight && g.outWidth == g.inWidth;
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

// The transposed kernel as the input gradient's GEMMs of one call's chunks all read it: packed
// once by the calling thread, read by every chunk's thread (which the thread pool's join orders
// after the packing). The forward's packings are thread-local for the same reason.
const PackedB& packedTransposedKernel(const Conv2dGeometry& g, const float* kernel) {
  thread_local PackedB packed;
  packB(Transpose::Yes, g.outChannels, patchSize(g), kernel, g.outChannels, packed);
  return packed;
}

// Calls visit(colRow, pixel, floats) for every run of im2col values: colRow points at `floats`
// values of the im2col row, and pixel at the same values in the image, or is null where the run lies
// in the padding. Where a whole kernel row lies inside the input and is contiguous there (no
// horizontal dilation), it is one run of kernelWidth * inChannels floats; elsewhere each tap is a
// run of inChannels. im2col and col2im are the two directions of this one traversal.
template <typename Pixel, typename Visit>
void forEachRun(const Conv2dGeometry& g, Pixel* image, float* columns, Visit visit) {
  const int64_t c = g.inChannels;
  const int64_t rowFloats = g.kernelWidth * c;
  float* colRow = columns;
  for (int64_t oy = 0; oy < g.outHeight; ++oy) {
    for (int64_t ox = 0; ox < g.outWidth; ++ox) {
      const int64_t ix0 = ox * g.strideWidth - g.padLeft;
      const bool rowInside = g.dilationWidth == 1 && ix0 >= 0 && ix0 + g.kernelWidth <= g.inWidth;
      for (int64_t ky = 0; ky < g.kernelHeight; ++ky) {
        const int64_t iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
        const bool yInside = iy >= 0 && iy < g.inHeight;
        if (rowInside && yInside) {
          visit(colRow, image + (iy * g.inWidth + ix0) * c, rowFloats);
        } else {
          for (int64_t kx = 0; kx < g.kernelWidth; ++kx) {
            const int64_t ix = ix0 + kx * g.dilationWidth;
            const bool inside = yInside && ix >= 0 && ix < g.inWidth;
            visit(colRow + kx * c, inside ? image + (iy * g.inWidth + ix) * c : static_cast<Pixel*>(nullptr), c);
          }
        }
        colRow += rowFloats;
      }
    }
  }
}

// image [inH, inW, inC] -> columns [outH*outW, kh*kw*inC].
void im2col(const Conv2dGeometry& g, const float* image, float* columns) {
  forEachRun(g, image, columns, [](float* colRow, const float* pixel, int64_t floats) {
    if (pixel != nullptr) {
      for (int64_t i = 0; i < floats; ++i) colRow[i] = pixel[i];
    } else {
      for (int64_t i = 0; i < floats; ++i) colRow[i] = 0.0f;
    }
  });
}

// A kernel row shorter than this many floats (a grey or RGB first layer) would make row-major
// im2col a loop over runs of a few floats. Those convolutions use the transposed layout instead,
// [patch][pixels], where each (tap, channel) row is filled along whole output rows.
constexpr int64_t kMinRowMajorRun = 8;

bool usesTransposedColumns(const Conv2dGeometry& g) {
  return g.kernelWidth * g.inChannels < kMinRowMajorRun;
}

// image [inH, inW, inC] -> columns^T: element (patch index p, pixel) at columns[p * ld + pixel].
void im2colTransposed(const Conv2dGeometry& g, const float* image, float* columns, int64_t ld) {
  const int64_t c = g.inChannels;
  for (int64_t ky = 0; ky < g.kernelHeight; ++ky) {
    for (int64_t kx = 0; kx < g.kernelWidth; ++kx) {
      // Output columns [oxBegin, oxEnd) read inside the input; the rest read padding.
      const int64_t offset = kx * g.dilationWidth - g.padLeft;
      const int64_t oxBegin = std::clamp<int64_t>((-offset + g.strideWidth - 1) / g.strideWidth, 0, g.outWidth);
      const int64_t oxEnd =
          std::clamp<int64_t>((g.inWidth - offset + g.strideWidth - 1) / g.strideWidth, oxBegin, g.outWidth);
      for (int64_t ci = 0; ci < c; ++ci) {
        float* row = columns + ((ky * g.kernelWidth + kx) * c + ci) * ld;
        for (int64_t oy = 0; oy < g.outHeight; ++oy, row += g.outWidth) {
          const int64_t iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
          if (iy < 0 || iy >= g.inHeight) {
            std::fill(row, row + g.outWidth, 0.0f);
            continue;
          }
          const float* source = image + (iy * g.inWidth + offset) * c + ci;
          const int64_t step = g.strideWidth * c;
          std::fill(row, row + oxBegin, 0.0f);
          if (step == 1) {
            std::copy(source + oxBegin, source + oxEnd, row + oxBegin);
          } else {
            for (int64_t ox = oxBegin; ox < oxEnd; ++ox) row[ox] = source[ox * step];
          }
          std::fill(row + oxEnd, row + g.outWidth, 0.0f);
        }
      }
    }
  }
}

// Scatter-adds columns back into image (which the caller zeroed): the adjoint of im2col.
void col2im(const Conv2dGeometry& g, float* columns, float* image) {
  forEachRun(g, image, columns, [](float* colRow, float* pixel, int64_t floats) {
    if (pixel == nullptr) return;
    for (int64_t i = 0; i < floats; ++i) pixel[i] += colRow[i];
  });
}

// Runs perChunk(chunk, first, count, columns) for every chunk of up to imagesPerChunk images,
// spread over the pool; columns is a per-thread buffer for the chunk's im2col rows, or null for
// the indirect products, which need none (one GEMM per chunk keeps M large enough for the
// micro-kernel even when an image has few output pixels).
template <typename PerChunk>
void forEachChunk(const Conv2dGeometry& g, bool needsColumns, PerChunk perChunk,
                  int64_t imagesPerChunk = kImagesPerChunk) {
  const auto columnFloats = static_cast<size_t>(imagesPerChunk * g.outHeight * g.outWidth * patchSize(g));
  const int64_t chunks = (g.batch + imagesPerChunk - 1) / imagesPerChunk;
  runtime::parallelFor(chunks, 1, [&](int64_t firstChunk, int64_t lastChunk) {
    float* columns = needsColumns ? columnScratch(columnFloats) : nullptr;
    for (int64_t chunk = firstChunk; chunk < lastChunk; ++chunk) {
      const int64_t first = chunk * imagesPerChunk;
      perChunk(chunk, first, std::min(imagesPerChunk, g.batch - first), columns);
    }
  });
}

// The kernel gradient's GEMM per chunk sums over the chunk's output pixels (or Winograd blocks):
// with few per image (a late, small layer), 4 images would give it too short a depth to run at
// the micro-kernel's pace, and leave many partial sums to add. Such layers take chunks of 8, 16,
// ... images, enough for this depth. A function of the geometry alone, so results still do not
// depend on the thread count.
constexpr int64_t kMinGradientDepth = 96;

int64_t imagesPerGradientChunk(int64_t depthPerImage) {
  int64_t images = kImagesPerChunk;
  while (images * depthPerImage < kMinGradientDepth) images *= 2;
  return images;
}

// The im2col matrix of `count` consecutive images, [count*pixels, patch] row-major, or transposed
// ([patch, count*pixels]) when usesTransposedColumns.
void fillColumns(const Conv2dGeometry& g, const float* images, int64_t count, float* columns) {
  const int64_t pixels = g.outHeight * g.outWidth;
  const int64_t inImage = g.inHeight * g.inWidth * g.inChannels;
  for (int64_t i = 0; i < count; ++i) {
    if (usesTransposedColumns(g)) {
      im2colTransposed(g, images + i * inImage, columns + i * pixels, count * pixels);
    } else {
      im2col(g, images + i * inImage, columns + i * pixels * patchSize(g));
    }
  }
}

// Fewer channels than this per tap would leave the indirect micro-kernel loading a row pointer
// for every few multiply-adds; such convolutions (grey or RGB first layers) keep im2col.
constexpr int64_t kMinIndirectTapDepth = 8;

// The forward reads its input through a tap table instead of im2col when each tap has enough
// channels.
bool forwardIsIndirect(const Conv2dGeometry& g) {
  return !skipsIm2col(g) && g.inChannels >= kMinIndirectTapDepth;
}

// Positions o < outSize whose tap at o + offset lies inside [0, inSize) (stride 1).
int64_t positionsInside(int64_t outSize, int64_t inSize, int64_t offset) {
  return std::max<int64_t>(0, std::min(outSize, inSize - offset) - std::max<int64_t>(0, -offset));
}

// The input gradient is a stride-1 convolution's adjoint read the same way: each input pixel sums,
// over the taps, the output gradient of the pixel that tap saw it from. Taps that saw no output
// pixel (the border of a 'valid' convolution) multiply zeros, so this only pays where they are
// few: at most one in nine of all (pixel, tap) pairs. Otherwise, and with a stride, where most
// taps see no output pixel, the gradient goes through col2im.
bool backwardInputIsIndirect(const Conv2dGeometry& g) {
  if (skipsIm2col(g) || g.strideHeight != 1 || g.strideWidth != 1 || g.outChannels < kMinIndirectTapDepth) {
    return false;
  }
  int64_t rowsInside = 0;
  int64_t columnsInside = 0;
  for (int64_t ky = 0; ky < g.kernelHeight; ++ky) {
    rowsInside += positionsInside(g.outHeight, g.inHeight, ky * g.dilationHeight - g.padTop);
  }
  for (int64_t kx = 0; kx < g.kernelWidth; ++kx) {
    columnsInside += positionsInside(g.outWidth, g.inWidth, kx * g.dilationWidth - g.padLeft);
  }
  const int64_t pairs = g.inHeight * g.inWidth * g.kernelHeight * g.kernelWidth;
  return 8 * pairs <= 9 * rowsInside * columnsInside;
}

// A tap table (IndirectA::rows) for images of `rows` x `columns` destination pixels, each tap
// (ky, kx) reading the source pixel
//   (y * stride + offset + ky * step, x * stride + offset + kx * step)   per axis,
// or `zeros` where that lies outside the source.
struct TapWalk {
  int64_t rows, columns;  // destination pixels per image
  int64_t sourceHeight, sourceWidth, sourceChannels;
  int64_t strideY, offsetY, stepY;
  int64_t strideX, offsetX, stepX;
};

void fillTapTable(const Conv2dGeometry& g, const TapWalk& walk, const float* sources, int64_t count, const float* zeros,
                  const float** table) {
  const int64_t sourceImage = walk.sourceHeight * walk.sourceWidth * walk.sourceChannels;
  for (int64_t i = 0; i < count; ++i) {
    const float* source = sources + i * sourceImage;
    for (int64_t y = 0; y < walk.rows; ++y) {
      for (int64_t x = 0; x < walk.columns; ++x) {
        for (int64_t ky = 0; ky < g.kernelHeight; ++ky) {
          const int64_t sy = y * walk.strideY + walk.offsetY + ky * walk.stepY;
          for (int64_t kx = 0; kx < g.kernelWidth; ++kx) {
            const int64_t sx = x * walk.strideX + walk.offsetX + kx * walk.stepX;
            const bool inside = sy >= 0 && sy < walk.sourceHeight && sx >= 0 && sx < walk.sourceWidth;
            *table++ = inside ? source + (sy * walk.sourceWidth + sx) * walk.sourceChannels : zeros;
          }
        }
      }
    }
  }
}

// This thread's tap table, grown on demand and kept for the next call; the chunks of the call read
// it from their threads, which the thread pool's join orders after the filling.
const float** tapTableScratch(size_t entries) {
  thread_local std::vector<const float*> table;
  if (table.size() < entries) table.resize(entries);
  return table.data();
}

// `floats` zeros for the taps that fall in the padding, read by every chunk's thread (never written).
const float* zeroTap(size_t floats) {
  thread_local std::vector<float> zeros;
  if (zeros.size() < floats) zeros.resize(floats, 0.0f);
  return zeros.data();
}

// For each chunk of images, product(first, rows, indirectA) with op(A) the chunk's destination
// pixels by taps. One tap table, built for the first chunk, serves every chunk at its offset.
template <typename Product>
void forEachIndirectChunk(const Conv2dGeometry& g, const TapWalk& walk, const float* sources, Product product) {
  const int64_t taps = g.kernelHeight * g.kernelWidth;
  const int64_t sourceImage = walk.sourceHeight * walk.sourceWidth * walk.sourceChannels;
  const int64_t tableImages = std::min(kImagesPerChunk, g.batch);
  const float* zeros = zeroTap(static_cast<size_t>(walk.sourceChannels));
  const float** table = tapTableScratch(static_cast<size_t>(tableImages * walk.rows * walk.columns * taps));
  fillTapTable(g, walk, sources, tableImages, zeros, table);
  forEachChunk(g, false, [&](int64_t, int64_t first, int64_t count, float*) {
    product(first, count * walk.rows * walk.columns,
            IndirectA{table, taps, walk.sourceChannels, first * sourceImage, zeros});
  });
}

// The kernel [kh, kw, inC, outC] with each tap's [inC, outC] block transposed to [outC, inC], the
// taps in order or, with `turned`, in reverse (the kernel turned by 180 degrees); in a per-thread
// buffer. The input gradient multiplies by it.
const float* transposedTaps(const Conv2dGeometry& g, const float* kernel, bool turned) {
  thread_local std::vector<float> transposed;
  const int64_t taps = g.kernelHeight * g.kernelWidth;
  const int64_t block = g.inChannels * g.outChannels;
  if (transposed.size() < static_cast<size_t>(taps * block)) transposed.resize(static_cast<size_t>(taps * block));
  for (int64_t tap = 0; tap < taps; ++tap) {
    const float* source = kernel + (turned ? taps - 1 - tap : tap) * block;
    float* target = transposed.data() + tap * block;
    for (int64_t ci = 0; ci < g.inChannels; ++ci) {
      for (int64_t co = 0; co < g.outChannels; ++co) target[co * g.inChannels + ci] = source[ci * g.outChannels + co];
    }
  }
  return transposed.data();
}

// The input gradient's B for the indirect product, [kh*kw*outC, inC], packed.
const PackedB& packedAdjointKernel(const Conv2dGeometry& g, const float* kernel) {
  thread_local PackedB packed;
  packB(Transpose::No, g.kernelHeight * g.kernelWidth * g.outChannels, g.inChannels, transposedTaps(g, kernel, false),
        g.inChannels, packed, g.outChannels);
  return packed;
}

// A stride-1, undilated convolution's input gradient is itself a convolution, of the output
// gradient with the kernel turned by 180 degrees and its channel axes swapped, padded by
// (kernel - 1 - pad) before: gradInput[y] = sum over ky of gradOutput[y - pad' + ky] * flipped[ky].
// Its geometry, for the stride-1 undilated case (the only one Winograd takes).
Conv2dGeometry adjointGeometry(const Conv2dGeometry& g) {
  Conv2dGeometry a = g;
  a.inHeight = g.outHeight;
  a.inWidth = g.outWidth;
  a.inChannels = g.outChannels;
  a.outHeight = g.inHeight;
  a.outWidth = g.inWidth;
  a.outChannels = g.inChannels;
  a.padTop = g.kernelHeight - 1 - g.padTop;
  a.padLeft = g.kernelWidth - 1 - g.padLeft;
  return a;
}

// The kernel packed for the Winograd input gradient (WinogradKernelUse::BackwardInput), in this
// thread's storage. Returned rather than named where it is used: a thread_local named inside a
// lambda the thread pool runs would be the pool thread's own, empty one.
const std::vector<PackedB>& winogradInputGradientKernel(const Conv2dGeometry& g, const float* kernel) {
  thread_local std::vector<PackedB> packed;
  packWinogradKernel(g, kernel, packed, WinogradKernelUse::BackwardInput);
  return packed;
}

}  // namespace

void packConv2dKernel(const Conv2dGeometry& g, const float* kernel, PackedConv2dKernel& packed) {
  if (winogradApplies(g)) {
    packWinogradKernel(g, kernel, packed.winograd);
    return;
  }
  // The indirect product reads whole taps of inChannels floats: its depth panels end on them.
  packB(Transpose::No, patchSize(g), g.outChannels, kernel, g.outChannels, packed.gemm,
        forwardIsIndirect(g) ? g.inChannels : 1);
}

void conv2dForward(const Conv2dGeometry& g, const float* input, const float* kernel, const float* bias, float* output,
                   Activation activation, float activationAlpha) {
  thread_local PackedConv2dKernel packed;
  packConv2dKernel(g, kernel, packed);
  conv2dForward(g, input, packed, bias, output, activation, activationAlpha);
}

void conv2dForward(const Conv2dGeometry& g, const float* input, const PackedConv2dKernel& packed, const float* bias,
                   float* output, Activation activation, float activationAlpha) {
  const int64_t pixels = g.outHeight * g.outWidth;
  const int64_t k = patchSize(g);
  const GemmEpilogue epilogue{bias, activation, activationAlpha};
  if (winogradApplies(g)) {
    winogradForward(g, input, packed.winograd, epilogue, output);
    return;
  }
  const PackedB& weights = packed.gemm;
  if (skipsIm2col(g)) {
    gemmPackedB(Transpose::No, g.batch * pixels, 1.0f, input, k, weights, 0.0f, output, g.outChannels, epilogue);
    return;
  }
  if (forwardIsIndirect(g)) {
    const TapWalk walk{g.outHeight, g.outWidth,       g.inHeight,    g.inWidth,  g.inChannels,   g.strideHeight,
                       -g.padTop,   g.dilationHeight, g.strideWidth, -g.padLeft, g.dilationWidth};
    forEachIndirectChunk(g, walk, input, [&](int64_t first, int64_t rows, const IndirectA& a) {
      gemmIndirect(rows, a, weights, 0.0f, output + first * pixels * g.outChannels, g.outChannels, epilogue);
    });
    return;
  }
  const int64_t inImage = g.inHeight * g.inWidth * g.inChannels;
  const bool transposed = usesTransposedColumns(g);
  forEachChunk(g, true, [&](int64_t, int64_t first, int64_t count, float* columns) {
    const int64_t rows = count * pixels;
    fillColumns(g, input + first * inImage, count, columns);
    gemmPackedB(transposed ? Transpose::Yes : Transpose::No, rows, 1.0f, columns, transposed ? rows : k, weights, 0.0f,
                output + first * pixels * g.outChannels, g.outChannels, epilogue);
  });
}

void conv2dBackwardInput(const Conv2dGeometry& g, const float* gradOutput, const float* kernel, float* gradInput) {
  const int64_t pixels = g.outHeight * g.outWidth;
  const int64_t k = patchSize(g);
  if (skipsIm2col(g)) {
    gemm(Transpose::No, Transpose::Yes, g.batch * pixels, k, g.outChannels, 1.0f, gradOutput, g.outChannels, kernel,
         g.outChannels, 0.0f, gradInput, k);
    return;
  }
  if (winogradApplies(g)) {
    winogradBackwardInput(g, gradOutput, winogradInputGradientKernel(g, kernel), gradInput);
    return;
  }
  const int64_t inImage = g.inHeight * g.inWidth * g.inChannels;
  // A forward too small for Winograd (a 3x3 output) may still have an input gradient that is not.
  const Conv2dGeometry adjoint = adjointGeometry(g);
  if (winogradApplies(adjoint)) {
    thread_local std::vector<PackedB> transformed;
    packWinogradKernel(adjoint, transposedTaps(g, kernel, true), transformed);
    winogradForward(adjoint, gradOutput, transformed, GemmEpilogue{}, gradInput);
    return;
  }
  if (backwardInputIsIndirect(g)) {
    const PackedB& adjoint = packedAdjointKernel(g, kernel);
    // Input pixel y saw output pixel y + padTop - ky * dilation through tap ky.
    const TapWalk walk{g.inHeight, g.inWidth,         g.outHeight, g.outWidth, g.outChannels,   1,
                       g.padTop,   -g.dilationHeight, 1,           g.padLeft,  -g.dilationWidth};
    forEachIndirectChunk(g, walk, gradOutput, [&](int64_t first, int64_t rows, const IndirectA& a) {
      gemmIndirect(rows, a, adjoint, 0.0f, gradInput + first * inImage, g.inChannels);
    });
    return;
  }
  const PackedB& weightsTransposed = packedTransposedKernel(g, kernel);
  forEachChunk(g, true, [&](int64_t, int64_t first, int64_t count, float* columns) {
    // columns [count*pixels, k] = gradOutput [count*pixels, outC] * kernel^T [outC, k]
    gemmPackedB(Transpose::No, count * pixels, 1.0f, gradOutput + first * pixels * g.outChannels, g.outChannels,
                weightsTransposed, 0.0f, columns, k);
    float* images = gradInput + first * inImage;
    std::fill(images, images + count * inImage, 0.0f);
    for (int64_t i = 0; i < count; ++i) col2im(g, columns + i * pixels * k, images + i * inImage);
  });
}

void conv2dBackwardParams(const Conv2dGeometry& g, const float* input, const float* gradOutput, float* gradKernel,
                          float* gradBias) {
  conv2dBackward(g, input, gradOutput, nullptr, nullptr, gradKernel, gradBias);
}

void conv2dBackward(const Conv2dGeometry& g, const float* input, const float* gradOutput, const float* kernel,
                    float* gradInput, float* gradKernel, float* gradBias) {
  const bool winograd = winogradApplies(g);
  if (gradInput != nullptr && !winograd) conv2dBackwardInput(g, gradOutput, kernel, gradInput);
  const int64_t pixels = g.outHeight * g.outWidth;
  const int64_t k = patchSize(g);
  if (skipsIm2col(g)) {
    gemm(Transpose::Yes, Transpose::No, k, g.outChannels, g.batch * pixels, 1.0f, input, k, gradOutput, g.outChannels,
         0.0f, gradKernel, g.outChannels);
    if (gradBias != nullptr) sumRows(g.batch * pixels, g.outChannels, gradOutput, gradBias);
    return;
  }
  // Each chunk of images sums its kernel and bias gradients into its own slot, [kernel | bias],
  // while its rows of gradOutput are in cache; the slots are then added in chunk order, so the
  // result is the same for any number of threads. Under Winograd a slot's kernel part holds the
  // gradient of the 36 transformed kernels, turned into the kernel's once summed, and each chunk
  // also writes its images' input gradient when asked, from the transformed output gradient the
  // kernel gradient has just computed.
  const bool fusedInput = winograd && gradInput != nullptr;
  const std::vector<PackedB>* transposedKernel = fusedInput ? &winogradInputGradientKernel(g, kernel) : nullptr;
  const int64_t kernelFloats = winograd ? winogradTransformedKernelFloats(g) : k * g.outChannels;
  const int64_t slotFloats = kernelFloats + g.outChannels;
  const int64_t imagesPerChunk = imagesPerGradientChunk(winograd ? winogradBlocksPerImage(g) : pixels);
  const int64_t chunks = (g.batch + imagesPerChunk - 1) / imagesPerChunk;
  thread_local std::vector<float> partials, transformedSum;
  std::vector<float>& slots = partials;
  if (slots.size() < static_cast<size_t>(chunks * slotFloats)) slots.resize(static_cast<size_t>(chunks * slotFloats));
  const int64_t inImage = g.inHeight * g.inWidth * g.inChannels;
  const bool transposed = usesTransposedColumns(g);
  forEachChunk(
      g, !winograd,
      [&](int64_t chunk, int64_t first, int64_t count, float* columns) {
        const int64_t rows = count * pixels;
        const float* chunkGradOutput = gradOutput + first * pixels * g.outChannels;
        float* slot = slots.data() + chunk * slotFloats;
        if (winograd) {
          winogradTransformedKernelGradient(g, input + first * inImage, chunkGradOutput, count, slot, transposedKernel,
                                            fusedInput ? gradInput + first * inImage : nullptr);
        } else {
          // slot kernel [k, outC] = columns^T [k, count*pixels] * gradOutput [count*pixels, outC]
          fillColumns(g, input + first * inImage, count, columns);
          gemm(transposed ? Transpose::No : Transpose::Yes, Transpose::No, k, g.outChannels, rows, 1.0f, columns,
               transposed ? rows : k, chunkGradOutput, g.outChannels, 0.0f, slot, g.outChannels);
        }
        if (gradBias != nullptr) sumRows(rows, g.outChannels, chunkGradOutput, slot + kernelFloats);
      },
      imagesPerChunk);
  // out[0, end - begin) = the sum over chunks, in chunk order, of slot floats [begin, end).
  const auto addSlots = [&](int64_t begin, int64_t end, float* out) {
    std::copy(slots.data() + begin, slots.data() + end, out);
    for (int64_t chunk = 1; chunk < chunks; ++chunk) {
      const float* slot = slots.data() + chunk * slotFloats;
      for (int64_t i = begin; i < end; ++i) out[i - begin] += slot[i];
    }
  };
  float* kernelSum = gradKernel;
  if (winograd) {
    if (transformedSum.size() < static_cast<size_t>(kernelFloats))
      transformedSum.resize(static_cast<size_t>(kernelFloats));
    kernelSum = transformedSum.data();
  }
  // Threads take ranges of the kernel gradient.
  runtime::parallelFor(kernelFloats, 4096,
                       [&](int64_t begin, int64_t end) { addSlots(begin, end, kernelSum + begin); });
  if (winograd) winogradKernelGradient(g, kernelSum, gradKernel);
  if (gradBias != nullptr) addSlots(kernelFloats, slotFloats, gradBias);
}

}  // namespace convkit::kernels
