#include "kernels/winograd.h"

#include <algorithm>
#include <vector>

#include "kernels/dispatch.h"
#include "runtime/thread_pool.h"

namespace convkit::kernels {
namespace {

// Output blocks (2x2 pixels each) per image: the last row or column of blocks may stick out.
struct BlockGrid {
  int64_t rows, columns;
  int64_t count() const { return rows * columns; }
};

BlockGrid blockGrid(const Conv2dGeometry& g) {
  return {(g.outHeight + 1) / 2, (g.outWidth + 1) / 2};
}

// This thread's transformed input V [16][images * blocks][inC], and [16][images * blocks][outC]
// for the products M (forward) or the transformed output gradient dM (kernel gradient).
struct Scratch {
  std::vector<float> transformed, products, zeros;
};

Scratch& scratch(const Conv2dGeometry& g, int64_t images) {
  thread_local Scratch s;
  const auto blocks = static_cast<size_t>(images * blockGrid(g).count());
  // Grown only: resizing down and back up between layers would zero the difference every call.
  const size_t transformedFloats = kWinogradPoints * blocks * static_cast<size_t>(g.inChannels);
  const size_t productFloats = kWinogradPoints * blocks * static_cast<size_t>(g.outChannels);
  if (s.transformed.size() < transformedFloats) s.transformed.resize(transformedFloats);
  if (s.products.size() < productFloats) s.products.resize(productFloats);
  const auto widest = static_cast<size_t>(std::max(g.inChannels, g.outChannels));
  if (s.zeros.size() < widest) s.zeros.resize(widest, 0.0f);
  return s;
}

}  // namespace

bool winogradApplies(const Conv2dGeometry& g) {
  constexpr int64_t kMinChannels = 8;
  if (g.kernelHeight != 3 || g.kernelWidth != 3 || g.strideHeight != 1 || g.strideWidth != 1 ||
      g.dilationHeight != 1 || g.dilationWidth != 1 || g.inChannels < kMinChannels || g.outChannels < kMinChannels) {
    return false;
  }
  const BlockGrid grid = blockGrid(g);
  return 4 * grid.count() * 4 <= 5 * g.outHeight * g.outWidth;
}

void packWinogradKernel(const Conv2dGeometry& g, const float* kernel, std::vector<PackedB>& packed) {
  const int64_t inC = g.inChannels;
  const int64_t outC = g.outChannels;
  const int64_t matrix = inC * outC;
  thread_local std::vector<float> transformed;
  if (transformed.size() < static_cast<size_t>(kWinogradPoints * matrix)) {
    transformed.resize(static_cast<size_t>(kWinogradPoints * matrix));
  }
  for (int64_t ci = 0; ci < inC; ++ci) {
    for (int64_t co = 0; co < outC; ++co) {
      float w[3][3];
      for (int ky = 0; ky < 3; ++ky) {
        for (int kx = 0; kx < 3; ++kx) w[ky][kx] = kernel[((ky * 3 + kx) * inC + ci) * outC + co];
      }
      float t[4][3];  // G w: rows combined, per column
      for (int kx = 0; kx < 3; ++kx) {
        t[0][kx] = w[0][kx];
        t[1][kx] = 0.5f * (w[0][kx] + w[1][kx] + w[2][kx]);
        t[2][kx] = 0.5f * (w[0][kx] - w[1][kx] + w[2][kx]);
        t[3][kx] = w[2][kx];
      }
      for (int r = 0; r < 4; ++r) {  // (G w) Gt: columns combined
        float* u = transformed.data() + r * 4 * matrix + ci * outC + co;
        u[0 * matrix] = t[r][0];
        u[1 * matrix] = 0.5f * (t[r][0] + t[r][1] + t[r][2]);
        u[2 * matrix] = 0.5f * (t[r][0] - t[r][1] + t[r][2]);
        u[3 * matrix] = t[r][2];
      }
    }
  }
  packed.resize(kWinogradPoints);
  for (int xi = 0; xi < kWinogradPoints; ++xi) {
    packB(Transpose::No, inC, outC, transformed.data() + xi * matrix, outC, packed[static_cast<size_t>(xi)]);
  }
}

void winogradForward(const Conv2dGeometry& g, const float* input, const std::vector<PackedB>& kernel,
                     const GemmEpilogue& epilogue, float* output) {
  const WinogradTransforms& transforms = activeKernels().winograd;
  const BlockGrid grid = blockGrid(g);
  const int64_t blocks = grid.count();
  const int64_t inImage = g.inHeight * g.inWidth * g.inChannels;
  const int64_t outImage = g.outHeight * g.outWidth * g.outChannels;
  // An image at a time: its transformed blocks and products stay in L2 between the steps.
  runtime::parallelFor(g.batch, 1, [&](int64_t firstImage, int64_t lastImage) {
    Scratch& s = scratch(g, 1);
    for (int64_t n = firstImage; n < lastImage; ++n) {
      transforms.input(g, grid.rows, grid.columns, input + n * inImage, s.zeros.data(), blocks * g.inChannels,
                       s.transformed.data());
      for (int xi = 0; xi < kWinogradPoints; ++xi) {
        gemmPackedB(Transpose::No, blocks, 1.0f, s.transformed.data() + xi * blocks * g.inChannels, g.inChannels,
                    kernel[static_cast<size_t>(xi)], 0.0f, s.products.data() + xi * blocks * g.outChannels,
                    g.outChannels);
      }
      transforms.output(g, grid.rows, grid.columns, s.products.data(), epilogue, output + n * outImage);
    }
  });
}

int64_t winogradBlocksPerImage(const Conv2dGeometry& g) {
  return blockGrid(g).count();
}

int64_t winogradTransformedKernelFloats(const Conv2dGeometry& g) {
  return kWinogradPoints * g.outChannels * g.inChannels;
}

void winogradTransformedKernelGradient(const Conv2dGeometry& g, const float* input, const float* gradOutput,
                                       int64_t count, float* gradTransformed) {
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
    transforms.input(g, grid.rows, grid.columns, input + n * inImage, s.zeros.data(), blocks * g.inChannels,
                     s.transformed.data() + firstBlock * g.inChannels);
    transforms.outputGradient(g, grid.rows, grid.columns, gradOutput + n * outImage, s.zeros.data(),
                              blocks * g.outChannels, s.products.data() + firstBlock * g.outChannels);
  }
  const int64_t matrix = g.outChannels * g.inChannels;
  for (int xi = 0; xi < kWinogradPoints; ++xi) {
    // dU[xi] [outC, inC] = dM[xi]^T [outC, blocks] * V[xi] [blocks, inC]: the wider outC as the
    // rows, so the narrower inC is the side GEMM packs.
    gemm(Transpose::Yes, Transpose::No, g.outChannels, g.inChannels, blocks, 1.0f,
         s.products.data() + xi * blocks * g.outChannels, g.outChannels, s.transformed.data() + xi * blocks * g.inChannels,
         g.inChannels, 0.0f, gradTransformed + xi * matrix, g.inChannels);
  }
}

void winogradKernelGradient(const Conv2dGeometry& g, const float* gradTransformed, float* gradKernel) {
  const int64_t inC = g.inChannels;
  const int64_t outC = g.outChannels;
  const int64_t matrix = outC * inC;
  for (int64_t co = 0; co < outC; ++co) {
    for (int64_t ci = 0; ci < inC; ++ci) {
      const float* u = gradTransformed + co * inC + ci;  // point xi at u[xi * matrix]
      float s[3][4];  // Gt dU: rows combined, per column
      for (int c = 0; c < 4; ++c) {
        const float u0 = u[c * matrix], u1 = u[(4 + c) * matrix], u2 = u[(8 + c) * matrix], u3 = u[(12 + c) * matrix];
        s[0][c] = u0 + 0.5f * (u1 + u2);
        s[1][c] = 0.5f * (u1 - u2);
        s[2][c] = 0.5f * (u1 + u2) + u3;
      }
      for (int ky = 0; ky < 3; ++ky) {  // (Gt dU) G: columns combined, written to the kernel's taps
        float* w = gradKernel + (ky * 3 * inC + ci) * outC + co;  // tap (ky, kx) at w[kx * inC * outC]
        w[0] = s[ky][0] + 0.5f * (s[ky][1] + s[ky][2]);
        w[inC * outC] = 0.5f * (s[ky][1] - s[ky][2]);
        w[2 * inC * outC] = 0.5f * (s[ky][1] + s[ky][2]) + s[ky][3];
      }
    }
  }
}

}  // namespace convkit::kernels
