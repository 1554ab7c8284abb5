// Native check of the dispatched ISA's kernel table (native/kernels/isa/), for ISAs this machine
// can only emulate (NEON under qemu-aarch64): its GEMM and indirect GEMM, epilogue included,
// against float64 loops; its Winograd transforms against the scalar ones (to float rounding: FMA
// may fuse what the scalar build rounds twice); and its max-pooling runs against the scalar ones
// (bit for bit), and its depthwise window sums against the scalar ones (to float rounding).
// isa_emulated.test.ts cross-compiles it with the kernels' own sources and runs it with
// CONVKIT_ISA set; it prints one JSON line and exits 1 on any mismatch.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <limits>
#include <random>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/isa/dispatch.h"
#include "kernels/isa/winograd_matrices.h"

using namespace convkit::kernels;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

struct Tally {
  long values = 0;
  long mismatches = 0;
};

std::mt19937 rng(1);
std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);

std::vector<float> randomVector(size_t size) {
  std::vector<float> v(size);
  for (float& x : v) x = uniform(rng);
  return v;
}

// Compares C (rows ldc apart) with the float64
//   epilogue(alpha * sum over p < k of aAt(i, p) * bAt(p, j) + beta * before[i][j])
// where beta 0 ignores `before`, as GEMM must. NaN in C counts as a mismatch.
template <typename AAt, typename BAt>
void compare(int64_t m, int64_t n, int64_t k, AAt aAt, BAt bAt, double alpha, double beta,
             const std::vector<float>& before, const GemmEpilogue& epilogue, const float* c, int64_t ldc,
             Tally& tally) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0.0;
      for (int64_t p = 0; p < k; ++p) sum += aAt(i, p) * bAt(p, j);
      double expected = alpha * sum + (beta == 0.0 ? 0.0 : beta * before[i * ldc + j]);
      if (epilogue.columnBias != nullptr) expected += epilogue.columnBias[j];
      if (expected < 0.0 && epilogue.activation == Activation::Relu) expected = 0.0;
      if (expected < 0.0 && epilogue.activation == Activation::LeakyRelu) expected *= epilogue.alpha;
      ++tally.values;
      const double tolerance = 1e-4 * std::sqrt(static_cast<double>(k)) + 1e-4 * std::fabs(expected);
      if (!(std::fabs(expected - c[i * ldc + j]) <= tolerance)) ++tally.mismatches;
    }
  }
}

// B [k x n] as op(B) of a row-major matrix stored as given by transB.
auto bReader(const std::vector<float>& b, Transpose transB, int64_t n, int64_t k) {
  return [&b, transB, n, k](int64_t p, int64_t j) -> double {
    return transB == Transpose::No ? b[p * n + j] : b[j * k + p];
  };
}

Tally checkGemm() {
  // Ragged edges around the NEON tile (8 x 8) and its blocks, the Keras MNIST convnet's shapes, and
  // the depths of 3x3 first layers (9, 27), which the micro-kernels compile whole.
  const int64_t shapes[][3] = {{1, 1, 1},     {7, 9, 5},    {8, 8, 8},      {9, 17, 300}, {33, 70, 513},
                               {129, 65, 40}, {676, 32, 9}, {121, 64, 288}, {150, 48, 9}, {97, 16, 27}};
  const Activation activations[] = {Activation::Linear, Activation::Relu, Activation::LeakyRelu};
  // alpha 1 and beta 0, with or without a bias, take the stores compiled without branches.
  const struct {
    float alpha, beta;
    bool bias;
  } scalings[] = {{1.25f, 0.5f, true}, {1.0f, 0.0f, true}, {1.0f, 0.0f, false}};
  Tally tally;
  for (const auto& shape : shapes) {
    for (const Activation activation : activations) {
      for (const auto& scaling : scalings) {
        for (int transposes = 0; transposes < 4; ++transposes) {
          const int64_t m = shape[0], n = shape[1], k = shape[2];
          const Transpose transA = (transposes & 1) ? Transpose::Yes : Transpose::No;
          const Transpose transB = (transposes & 2) ? Transpose::Yes : Transpose::No;
          const std::vector<float> a = randomVector(m * k), b = randomVector(k * n), bias = randomVector(n),
                                   before = randomVector(m * n);
          std::vector<float> c = before;
          const GemmEpilogue epilogue{scaling.bias ? bias.data() : nullptr, activation, 0.1f};
          gemm(transA, transB, m, n, k, scaling.alpha, a.data(), transA == Transpose::No ? k : m, b.data(),
               transB == Transpose::No ? n : k, scaling.beta, c.data(), n, epilogue);
          const auto aAt = [&](int64_t i, int64_t p) -> double {
            return transA == Transpose::No ? a[i * k + p] : a[p * m + i];
          };
          compare(m, n, k, aAt, bReader(b, transB, n, k), scaling.alpha, scaling.beta, before, epilogue, c.data(), n,
                  tally);
        }
      }
    }
  }
  return tally;
}

// A random tap table as a convolution builds one: a quarter of the entries are `zero` (padding),
// the rest point at random (unaligned) runs of tapDepth floats in the first of three chunks of
// `source`, and `offset` moves them onto the second. Only that chunk holds values: the other two,
// and `zero`'s storage past its tapDepth zeros, are NaN, so a kernel that ignores the offset,
// applies it twice, or offsets `zero` produces NaN.
struct TapTable {
  int64_t taps, tapDepth, chunk;
  std::vector<float> source;
  std::vector<float> zeroStorage;
  std::vector<int64_t> starts;  // [m][taps]: the run's start in the second chunk, or -1 for zero
  std::vector<const float*> rows;

  TapTable(int64_t m, int64_t taps, int64_t tapDepth)
      : taps(taps),
        tapDepth(tapDepth),
        chunk(4 * tapDepth + 5),
        source(3 * chunk, kNaN),
        zeroStorage(chunk + tapDepth, kNaN),
        starts(m * taps),
        rows(m * taps) {
    for (int64_t q = 0; q < chunk; ++q) source[chunk + q] = uniform(rng);
    std::fill(zeroStorage.begin(), zeroStorage.begin() + tapDepth, 0.0f);
    std::uniform_int_distribution<int64_t> start(0, chunk - tapDepth);
    for (size_t e = 0; e < starts.size(); ++e) {
      starts[e] = rng() % 4 == 0 ? -1 : start(rng);
      rows[e] = starts[e] < 0 ? zeroStorage.data() : source.data() + starts[e];
    }
  }

  IndirectA indirect() const { return IndirectA{rows.data(), taps, tapDepth, chunk, zeroStorage.data()}; }

  // op(A)[i][p], read through the start indices rather than the pointers the kernel follows.
  double at(int64_t i, int64_t p) const {
    const int64_t begin = starts[i * taps + p / tapDepth];
    return begin < 0 ? 0.0 : source[chunk + begin + p % tapDepth];
  }
};

Tally checkGemmIndirect() {
  // {tapDepth, taps, m, n}. m is ragged around the NEON tile (8) and row block (128), n around the
  // tile (8) and the column block (2048). 9 taps of 64 and 3 or 9 taps of 520 take k beyond
  // kc = 256, so B's depth panels split at tap boundaries (one 520-float tap alone is deeper than
  // kc); the last case adds a second column block to that.
  const int64_t cases[][4] = {
      {8, 1, 1, 1},    {8, 3, 7, 9},     {8, 9, 129, 17},   {9, 1, 9, 7},     {9, 3, 8, 8},
      {9, 9, 137, 33}, {16, 1, 128, 16}, {16, 3, 17, 15},   {16, 9, 127, 24}, {64, 1, 65, 40},
      {64, 3, 8, 64},  {520, 1, 9, 9},   {520, 3, 130, 17}, {520, 9, 16, 9},  {64, 9, 3, 2051},
  };
  // The identity epilogue (what the backward pass uses), and each activation after a bias.
  const Activation activations[] = {Activation::Linear, Activation::Linear, Activation::Relu, Activation::LeakyRelu};
  constexpr int64_t kGuardColumns = 3;  // C's rows are wider than n: the kernel must not touch the rest
  constexpr float kGuard = 12345.0f;
  Tally tally;
  int variant = 0;
  for (const auto& shape : cases) {
    const int64_t tapDepth = shape[0], taps = shape[1], m = shape[2], n = shape[3];
    const int64_t k = taps * tapDepth, ldc = n + kGuardColumns;
    const TapTable table(m, taps, tapDepth);
    for (size_t e = 0; e < std::size(activations); ++e) {
      for (const float beta : {0.0f, -0.75f}) {
        const Transpose transB = ++variant % 2 == 0 ? Transpose::No : Transpose::Yes;
        const std::vector<float> b = randomVector(k * n), bias = randomVector(n);
        PackedB packed;
        packB(transB, k, n, b.data(), transB == Transpose::No ? n : k, packed, tapDepth);
        // beta 0 over a C full of NaN checks that C is overwritten, never read.
        std::vector<float> before = beta == 0.0f ? std::vector<float>(m * ldc, kNaN) : randomVector(m * ldc);
        for (int64_t i = 0; i < m; ++i) std::fill_n(before.begin() + i * ldc + n, kGuardColumns, kGuard);
        std::vector<float> c = before;
        const GemmEpilogue epilogue{e == 0 ? nullptr : bias.data(), activations[e], 0.1f};
        gemmIndirect(m, table.indirect(), packed, beta, c.data(), ldc, epilogue);
        compare(
            m, n, k, [&table](int64_t i, int64_t p) { return table.at(i, p); }, bReader(b, transB, n, k), 1.0, beta,
            before, epilogue, c.data(), ldc, tally);
        for (int64_t i = 0; i < m; ++i) {
          for (int64_t j = n; j < ldc; ++j) tally.mismatches += c[i * ldc + j] != kGuard;
        }
      }
    }
  }
  return tally;
}

// Adds to the tally how many floats of `actual` differ from `expected` by more than float rounding
// through the transforms allows (they scale values by up to 100), or are NaN where it is not.
void compareTransformed(const std::vector<float>& expected, const std::vector<float>& actual, Tally& tally) {
  tally.values += static_cast<long>(expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const double tolerance = 1e-5 * (1.0 + std::fabs(expected[i]));
    tally.mismatches += !(std::fabs(static_cast<double>(expected[i]) - actual[i]) <= tolerance) &&
                        !(std::isnan(expected[i]) && std::isnan(actual[i]));
  }
}

// The dispatched ISA's four Winograd transforms against the scalar build's, on geometries with
// padding, ragged last blocks, more than one 32-channel block, and points spaced wider than one
// image's blocks (as the chunks of images space them).
Tally checkWinogradTransforms() {
  const WinogradTransforms& tested = activeKernels().winograd;
  const WinogradTransforms& scalar = kScalarKernels.winograd;
  struct Case {
    int64_t inH, inW, inC, outC, pad;
  };
  const Case cases[] = {{9, 10, 9, 17, 1}, {10, 9, 70, 72, 0}, {13, 13, 32, 64, 0}, {5, 7, 8, 130, 1}};
  constexpr int64_t kTile = kWinogradOutputTile;
  Tally tally;
  for (const Case& c : cases) {
    const WinogradImage in{c.inH, c.inW, c.inC, c.pad, c.pad};  // a 3x3 kernel's input
    const WinogradImage out{c.inH + 2 * c.pad - 2, c.inW + 2 * c.pad - 2, c.outC, 0, 0};
    const int64_t rows = (out.height + kTile - 1) / kTile, columns = (out.width + kTile - 1) / kTile;
    const int64_t blocks = rows * columns;
    const std::vector<float> zeros(static_cast<size_t>(std::max(c.inC, c.outC)), 0.0f);
    const std::vector<float> image = randomVector(c.inH * c.inW * c.inC);
    const std::vector<float> gradOutput = randomVector(out.height * out.width * c.outC);
    const std::vector<float> bias = randomVector(c.outC);
    for (const int64_t spacing : {int64_t{1}, int64_t{3}}) {
      const int64_t inStride = spacing * blocks * c.inC, outStride = spacing * blocks * c.outC;
      std::vector<float> expected(kWinogradPoints * inStride, 0.0f), actual(kWinogradPoints * inStride, 0.0f);
      scalar.input(in, rows, columns, image.data(), zeros.data(), inStride, expected.data());
      tested.input(in, rows, columns, image.data(), zeros.data(), inStride, actual.data());
      compareTransformed(expected, actual, tally);
      expected.assign(kWinogradPoints * outStride, 0.0f), actual.assign(kWinogradPoints * outStride, 0.0f);
      scalar.outputGradient(out, rows, columns, gradOutput.data(), zeros.data(), outStride, expected.data());
      tested.outputGradient(out, rows, columns, gradOutput.data(), zeros.data(), outStride, actual.data());
      compareTransformed(expected, actual, tally);
      const std::vector<float> gradTransformed = randomVector(kWinogradPoints * inStride);
      expected.assign(c.inH * c.inW * c.inC, 0.0f), actual = expected;
      scalar.inputGradient(in, rows, columns, gradTransformed.data(), inStride, expected.data());
      tested.inputGradient(in, rows, columns, gradTransformed.data(), inStride, actual.data());
      compareTransformed(expected, actual, tally);
      const std::vector<float> products = randomVector(kWinogradPoints * outStride);
      const Activation activations[] = {Activation::Linear, Activation::Relu, Activation::LeakyRelu};
      for (size_t e = 0; e < std::size(activations); ++e) {
        const GemmEpilogue epilogue{e == 0 ? nullptr : bias.data(), activations[e], 0.1f};
        expected.assign(out.height * out.width * c.outC, kNaN), actual = expected;
        scalar.output(out, rows, columns, products.data(), outStride, epilogue, expected.data());
        tested.output(out, rows, columns, products.data(), outStride, epilogue, actual.data());
        compareTransformed(expected, actual, tally);
        for (const float value : actual) tally.mismatches += std::isnan(value);  // every pixel written
      }
    }
  }
  return tally;
}

// The dispatched ISA's runs of 2x2 max-pooling windows against the scalar build's, bit for bit (a
// max, and a gradient scaled by 1 or the slope, round the same everywhere): channel counts ragged
// against every vector width, windows overlapping (stride 1) and not, on values with many ties.
Tally checkMaxPoolRuns() {
  const MaxPool2x2Runs& tested = activeKernels().maxPool2x2;
  const MaxPool2x2Runs& scalar = kScalarKernels.maxPool2x2;
  std::uniform_int_distribution<int> quarterSteps(-4, 4);
  Tally tally;
  const auto compare = [&tally](const auto& expected, const auto& actual) {
    tally.values += static_cast<long>(expected.size());
    tally.mismatches +=
        static_cast<long>(std::memcmp(expected.data(), actual.data(), expected.size() * sizeof(expected[0])) != 0);
  };
  for (const int64_t channels : {1, 7, 9, 32, 33, 64, 70}) {
    for (const int64_t stride : {1, 2}) {
      const int64_t windows = 13, windowStride = stride * channels;
      const int64_t rowFloats = (windows - 1) * windowStride + 2 * channels;
      std::vector<float> top(rowFloats), bottom(rowFloats);
      for (float& x : top) x = 0.25f * static_cast<float>(quarterSteps(rng));
      for (float& x : bottom) x = 0.25f * static_cast<float>(quarterSteps(rng));
      std::vector<float> expected(windows * channels, kNaN), actual = expected;
      scalar.max(windows, channels, windowStride, top.data(), bottom.data(), expected.data());
      tested.max(windows, channels, windowStride, top.data(), bottom.data(), actual.data());
      compare(expected, actual);
      std::vector<uint8_t> expectedWinners(windows * channels, 0xff), actualWinners = expectedWinners;
      scalar.recordMax(windows, channels, windowStride, top.data(), bottom.data(), expected.data(),
                       expectedWinners.data());
      tested.recordMax(windows, channels, windowStride, top.data(), bottom.data(), actual.data(), actualWinners.data());
      compare(expected, actual);
      compare(expectedWinners, actualWinners);
      if (stride != 2) continue;  // winners are recorded for windows that do not overlap
      const std::vector<float> gradOutput = randomVector(windows * channels);
      std::vector<float> expectedTop(rowFloats, kNaN), expectedBottom = expectedTop;
      std::vector<float> actualTop = expectedTop, actualBottom = expectedTop;
      scalar.routeToWinners(windows, channels, windowStride, expectedWinners.data(), gradOutput.data(),
                            expectedTop.data(), expectedBottom.data(), 0.1f);
      tested.routeToWinners(windows, channels, windowStride, expectedWinners.data(), gradOutput.data(),
                            actualTop.data(), actualBottom.data(), 0.1f);
      compare(expectedTop, actualTop);
      compare(expectedBottom, actualBottom);
      for (const float value : actualTop) tally.mismatches += std::isnan(value);  // every pixel written
    }
  }
  return tally;
}

// The dispatched ISA's depthwise window sums against the scalar build's (to float rounding, as the
// Winograd transforms): channel counts ragged against every block width, with and without init.
Tally checkDepthwiseSumTaps() {
  Tally tally;
  for (const int64_t channels : {1, 3, 7, 16, 37, 70, 144}) {
    const int64_t taps = 9;
    std::vector<WindowTap> window;
    for (int64_t t = 0; t < taps; ++t) window.push_back({(t * 5 % taps) * channels, t * channels});
    const std::vector<float> data = randomVector(taps * channels), kernel = randomVector(taps * channels);
    const std::vector<float> init = randomVector(channels);
    for (const float* start : {init.data(), static_cast<const float*>(nullptr)}) {
      std::vector<float> expected(channels, kNaN), actual = expected;
      kScalarKernels.depthwiseSumTaps(channels, taps, window.data(), data.data(), kernel.data(), start,
                                      expected.data());
      activeKernels().depthwiseSumTaps(channels, taps, window.data(), data.data(), kernel.data(), start, actual.data());
      compareTransformed(expected, actual, tally);
    }
  }
  return tally;
}

}  // namespace

int main() {
  const Tally direct = checkGemm();
  const Tally indirect = checkGemmIndirect();
  const Tally winograd = checkWinogradTransforms();
  const Tally pooling = checkMaxPoolRuns();
  const Tally depthwise = checkDepthwiseSumTaps();
  std::printf(
      "{\"isa\":\"%s\",\"values\":%ld,\"mismatches\":%ld,\"indirectValues\":%ld,\"indirectMismatches\":%ld,"
      "\"winogradValues\":%ld,\"winogradMismatches\":%ld,\"poolingValues\":%ld,\"poolingMismatches\":%ld,"
      "\"depthwiseValues\":%ld,\"depthwiseMismatches\":%ld}\n",
      isaName(activeIsa()), direct.values, direct.mismatches, indirect.values, indirect.mismatches, winograd.values,
      winograd.mismatches, pooling.values, pooling.mismatches, depthwise.values, depthwise.mismatches);
  const long mismatches =
      direct.mismatches + indirect.mismatches + winograd.mismatches + pooling.mismatches + depthwise.mismatches;
  return mismatches == 0 ? 0 : 1;
}
