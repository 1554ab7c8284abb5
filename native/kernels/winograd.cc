#include "kernels/winograd.h"

#include <algorithm>
#include <vector>

#include "kernels/isa/dispatch.h"
#include "runtime/thread_pool.h"

namespace convkit::kernels {
namespace {

// Output blocks (4x4 pixels each) per image: the last row or column of blocks may stick out.
struct BlockGrid {
  int64_t rows, columns;
  int64_t count() const { return rows * columns; }
};

BlockGrid blockGrid(const Conv2dGeometry& g) {
  constexpr int64_t kTile = kWinogradOutputTile;
  return {(g.outHeight + kTile - 1) / kTile, (g.outWidth + kTile - 1) / kTile};
}

// The input and the output image of one convolution, as the per-ISA transforms take them.
WinogradImage inputImage(const Conv2dGeometry& g) {
  return {g.inHeight, g.inWidth, g.inChannels, g.padTop, g.padLeft};
}
WinogradImage outputImage(const Conv2dGeometry& g) {
  return {g.outHeight, g.outWidth, g.outChannels, 0, 0};
}

// This thread's [36][images * blocks][channels] buffers: `transformed` for what the GEMMs read
// (V, or dM for the input gradient), `products` for what they write (M, or dV) or, for the kernel
// gradient, dM. Each holds the wider of the two channel counts.
struct Scratch {
  std::vector<float> transformed, products, zeros;
};

Scratch& scratch(const Conv2dGeometry& g, int64_t images) {
  thread_local Scratch s;
  const auto blocks = static_cast<size_t>(images * blockGrid(g).count());
  // Grown only: resizing down and back up between layers would zero the difference every call.
  const auto widest = static_cast<size_t>(std::max(g.inChannels, g.outChannels));
  const size_t floats = kWinogradPoints * blocks * widest;
  if (s.transformed.size() < floats) s.transformed.resize(floats);
  if (s.products.size() < floats) s.products.resize(floats);
  if (s.zeros.size() < widest) s.zeros.resize(widest, 0.0f);
  return s;
}

// One image's input gradient, overwritten, from its blocks' dV (points pointStride floats apart).
void writeInputGradient(const Conv2dGeometry& g, const WinogradTransforms& transforms, const BlockGrid& grid,
                        const float* dv, int64_t pointStride, float* gradImage) {
  std::fill(gradImage, gradImage + g.inHeight * g.inWidth * g.inChannels, 0.0f);
  transforms.inputGradient(inputImage(g), grid.rows, grid.columns, dv, pointStride, gradImage);
}

// What winogradChunks tells its callbacks about one image of a chunk.
struct ChunkImage {
  const WinogradTransforms& transforms;
  BlockGrid grid;
  int64_t inputOffset, outputOffset;  // where the image's input and output pixels start
  int64_t pointStride;                // floats from one point to the next in the chunk's buffers
  const float* zeros;                 // for blocks that stick out of the image
};

// The route of both the forward and the input gradient, a few images at a time: per image,
// toPoints(image, points) writes its blocks' 36 points of `depth` channels from its pixels; the 36
// GEMMs products[xi] [blocks x width] = points[xi] [blocks x depth] * kernel[xi] [depth x width];
// then per image, fromPoints(image, products) writes its pixels from its blocks' products. Each
// point holds the chunk's blocks one image after another.
template <typename ToPoints, typename FromPoints>
void winogradChunks(const Conv2dGeometry& g, int64_t depth, int64_t width, const std::vector<PackedB>& kernel,
                    ToPoints toPoints, FromPoints fromPoints) {
  const WinogradTransforms& transforms = activeKernels().winograd;
  const BlockGrid grid = blockGrid(g);
  const int64_t blocks = grid.count();
  const int64_t inImage = g.inHeight * g.inWidth * g.inChannels;
  const int64_t outImage = g.outHeight * g.outWidth * g.outChannels;
  // A few images at a time, enough blocks for the GEMMs' rows to fill a few register tiles, while
  // their transformed blocks and products stay in L1 and L2 between the steps (kerasMnist's conv2:
  // 16 blocks measured 0.95x the forward's time and 0.88x the input gradient's of 32, 64 1.02x).
  constexpr int64_t kMinBlocksPerChunk = 16;
  const int64_t imagesPerChunk = (kMinBlocksPerChunk + blocks - 1) / blocks;
  runtime::parallelFor(g.batch, imagesPerChunk, [&](int64_t firstImage, int64_t lastImage) {
    Scratch& s = scratch(g, imagesPerChunk);
    for (int64_t first = firstImage; first < lastImage; first += imagesPerChunk) {
      const int64_t count = std::min(imagesPerChunk, lastImage - first);
      const int64_t rows = count * blocks;
      const auto image = [&](int64_t n, int64_t channels) {
        return ChunkImage{transforms,      grid,          (first + n) * inImage, (first + n) * outImage,
                          rows * channels, s.zeros.data()};
      };
      for (int64_t n = 0; n < count; ++n) toPoints(image(n, depth), s.transformed.data() + n * blocks * depth);
      for (int xi = 0; xi < kWinogradPoints; ++xi) {
        gemmPackedB(Transpose::No, rows, 1.0f, s.transformed.data() + xi * rows * depth, depth,
                    kernel[static_cast<size_t>(xi)], 0.0f, s.products.data() + xi * rows * width, width);
      }
      for (int64_t n = 0; n < count; ++n) fromPoints(image(n, width), s.products.data() + n * blocks * width);
    }
  });
}

}  // namespace

bool winogradApplies(const Conv2dGeometry& g) {
  constexpr int64_t kMinChannels = 8;
  if (g.kernelHeight != 3 || g.kernelWidth != 3 || g.strideHeight != 1 || g.strideWidth != 1 || g.dilationHeight != 1 ||
      g.dilationWidth != 1 || g.inChannels < kMinChannels || g.outChannels < kMinChannels ||
      g.outHeight < kWinogradOutputTile || g.outWidth < kWinogradOutputTile) {
    return false;
  }
  // 36 products per block at most half of the direct 9 per pixel.
  return 2 * kWinogradPoints * blockGrid(g).count() <= 9 * g.outHeight * g.outWidth;
}

void packWinogradKernel(const Conv2dGeometry& g, const float* kernel, std::vector<PackedB>& packed,
                        WinogradKernelUse use) {
  constexpr int kIn = kWinogradInputTile;
  const int64_t inC = g.inChannels;
  const int64_t outC = g.outChannels;
  const int64_t matrix = inC * outC;
  thread_local std::vector<float> transformed;
  if (transformed.size() < static_cast<size_t>(kWinogradPoints * matrix)) {
    transformed.resize(static_cast<size_t>(kWinogradPoints * matrix));
  }
  float* u = transformed.data();  // point xi's [inC x outC] matrix at u + xi * matrix
  // Runs every training step, for the forward and the input gradient: vectorized over the output
  // channels, which are contiguous in both the kernel and U, and split across the threads.
  runtime::parallelFor(inC, 1, [&](int64_t firstChannel, int64_t lastChannel) {
    thread_local std::vector<float> rows;  // G w: [6][3][outC]
    if (rows.size() < static_cast<size_t>(kIn * 3 * outC)) rows.resize(static_cast<size_t>(kIn * 3 * outC));
    for (int64_t ci = firstChannel; ci < lastChannel; ++ci) {
      const float* w[3][3];
      for (int ky = 0; ky < 3; ++ky) {
        for (int kx = 0; kx < 3; ++kx) w[ky][kx] = kernel + ((ky * 3 + kx) * inC + ci) * outC;
      }
      for (int i = 0; i < kIn; ++i) {
        for (int kx = 0; kx < 3; ++kx) {
          float* t = rows.data() + (i * 3 + kx) * outC;
          const float g0 = kWinogradG[i][0], g1 = kWinogradG[i][1], g2 = kWinogradG[i][2];
          for (int64_t co = 0; co < outC; ++co) t[co] = g0 * w[0][kx][co] + g1 * w[1][kx][co] + g2 * w[2][kx][co];
        }
      }
      for (int i = 0; i < kIn; ++i) {  // (G w) Gt
        const float* t0 = rows.data() + (i * 3) * outC;
        const float* t1 = t0 + outC;
        const float* t2 = t1 + outC;
        for (int j = 0; j < kIn; ++j) {
          float* target = u + (i * kIn + j) * matrix + ci * outC;
          const float g0 = kWinogradG[j][0], g1 = kWinogradG[j][1], g2 = kWinogradG[j][2];
          for (int64_t co = 0; co < outC; ++co) target[co] = t0[co] * g0 + t1[co] * g1 + t2[co] * g2;
        }
      }
    }
  });
  packed.resize(kWinogradPoints);
  // U[xi] as B [inC x outC] for the forward, or its transpose [outC x inC] for the input gradient.
  const bool forward = use == WinogradKernelUse::Forward;
  runtime::parallelFor(kWinogradPoints, 1, [&](int64_t first, int64_t last) {
    for (int64_t xi = first; xi < last; ++xi) {
      packB(forward ? Transpose::No : Transpose::Yes, forward ? inC : outC, forward ? outC : inC, u + xi * matrix, outC,
            packed[static_cast<size_t>(xi)]);
    }
  });
}

void winogradForward(const Conv2dGeometry& g, const float* input, const std::vector<PackedB>& kernel,
                     const GemmEpilogue& epilogue, float* output) {
  winogradChunks(
      g, g.inChannels, g.outChannels, kernel,
      [&](const ChunkImage& image, float* v) {
        image.transforms.input(inputImage(g), image.grid.rows, image.grid.columns, input + image.inputOffset,
                               image.zeros, image.pointStride, v);
      },
      [&](const ChunkImage& image, const float* m) {
        image.transforms.output(outputImage(g), image.grid.rows, image.grid.columns, m, image.pointStride, epilogue,
                                output + image.outputOffset);
      });
}

void winogradBackwardInput(const Conv2dGeometry& g, const float* gradOutput, const std::vector<PackedB>& kernel,
                           float* gradInput) {
  winogradChunks(
      g, g.outChannels, g.inChannels, kernel,
      [&](const ChunkImage& image, float* dm) {
        image.transforms.outputGradient(outputImage(g), image.grid.rows, image.grid.columns,
                                        gradOutput + image.outputOffset, image.zeros, image.pointStride, dm);
      },
      [&](const ChunkImage& image, const float* dv) {
        writeInputGradient(g, image.transforms, image.grid, dv, image.pointStride, gradInput + image.inputOffset);
      });
}

int64_t winogradBlocksPerImage(const Conv2dGeometry& g) {
  return blockGrid(g).count();
}

int64_t winogradTransformedKernelFloats(const Conv2dGeometry& g) {
  return kWinogradPoints * g.outChannels * g.inChannels;
}

void winogradTransformedKernelGradient(const Conv2dGeometry& g, const float* input, const float* gradOutput,
                                       int64_t count, float* gradTransformed,
                                       const std::vector<PackedB>* transposedKernel, float* gradInput) {
  const WinogradTransforms& transforms = activeKernels().winograd;
  const BlockGrid grid = blockGrid(g);
  const int64_t blocks = count * grid.count();
  const int64_t inImage = g.inHeight * g.inWidth * g.inChannels;
  const int64_t outImage = g.outHeight * g.outWidth * g.outChannels;
  Scratch& s = scratch(g, count);
  // The images' blocks one after another within each point, so each point is one GEMM of depth
  // count * blocks.
  for (int64_t n = 0; n < count; ++n) {
    const int64_t firstBlock = n * grid.count();
    transforms.input(inputImage(g), grid.rows, grid.columns, input + n * inImage, s.zeros.data(), blocks * g.inChannels,
                     s.transformed.data() + firstBlock * g.inChannels);
    transforms.outputGradient(outputImage(g), grid.rows, grid.columns, gradOutput + n * outImage, s.zeros.data(),
                              blocks * g.outChannels, s.products.data() + firstBlock * g.outChannels);
  }
  const int64_t matrix = g.outChannels * g.inChannels;
  for (int xi = 0; xi < kWinogradPoints; ++xi) {
    // dU[xi] [outC, inC] = dM[xi]^T [outC, blocks] * V[xi] [blocks, inC]: the wider outC as the
    // rows, so the narrower inC is the side GEMM packs.
    gemm(Transpose::Yes, Transpose::No, g.outChannels, g.inChannels, blocks, 1.0f,
         s.products.data() + xi * blocks * g.outChannels, g.outChannels,
         s.transformed.data() + xi * blocks * g.inChannels, g.inChannels, 0.0f, gradTransformed + xi * matrix,
         g.inChannels);
  }
  if (transposedKernel == nullptr) return;
  // The input gradient as winogradBackwardInput computes it, from the same dM, with dV in the
  // place of V, which the kernel gradient no longer needs.
  for (int xi = 0; xi < kWinogradPoints; ++xi) {
    gemmPackedB(Transpose::No, blocks, 1.0f, s.products.data() + xi * blocks * g.outChannels, g.outChannels,
                (*transposedKernel)[static_cast<size_t>(xi)], 0.0f, s.transformed.data() + xi * blocks * g.inChannels,
                g.inChannels);
  }
  for (int64_t n = 0; n < count; ++n) {
    writeInputGradient(g, transforms, grid, s.transformed.data() + n * grid.count() * g.inChannels,
                       blocks * g.inChannels, gradInput + n * inImage);
  }
}

void winogradKernelGradient(const Conv2dGeometry& g, const float* gradTransformed, float* gradKernel) {
  constexpr int kIn = kWinogradInputTile;
  const int64_t inC = g.inChannels;
  const int64_t outC = g.outChannels;
  const int64_t matrix = outC * inC;
  // Vectorized over the input channels, contiguous in dU, and split across the threads by output
  // channel.
  runtime::parallelFor(outC, 1, [&](int64_t firstChannel, int64_t lastChannel) {
    thread_local std::vector<float> rows;  // row ky of Gt dU: [6][inC]
    if (rows.size() < static_cast<size_t>(kIn * inC)) rows.resize(static_cast<size_t>(kIn * inC));
    for (int64_t co = firstChannel; co < lastChannel; ++co) {
      const float* u = gradTransformed + co * inC;  // point xi's row at u + xi * matrix
      for (int ky = 0; ky < 3; ++ky) {
        for (int j = 0; j < kIn; ++j) {
          float* s = rows.data() + j * inC;
          for (int64_t ci = 0; ci < inC; ++ci) {
            float sum = 0.0f;
            for (int i = 0; i < kIn; ++i) sum += kWinogradG[i][ky] * u[(i * kIn + j) * matrix + ci];
            s[ci] = sum;
          }
        }
        for (int kx = 0; kx < 3; ++kx) {  // (Gt dU) G, written to the kernel's tap (ky, kx)
          float* w = gradKernel + (ky * 3 + kx) * inC * outC + co;
          for (int64_t ci = 0; ci < inC; ++ci) {
            float sum = 0.0f;
            for (int j = 0; j < kIn; ++j) sum += rows[static_cast<size_t>(j * inC + ci)] * kWinogradG[j][kx];
            w[ci * outC] = sum;
          }
        }
      }
    }
  });
}

}  // namespace convkit::kernels
