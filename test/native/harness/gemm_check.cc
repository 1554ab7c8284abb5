// Native check of the dispatched GEMM, epilogue included, against a float64 triple loop, for ISAs
// this machine can only emulate (NEON under qemu-aarch64). gemm_emulated.test.ts cross-compiles it
// with the kernels' own sources and runs it with CONVKIT_ISA set; it prints one JSON line and
// exits 1 on any mismatch.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "kernels/dispatch.h"
#include "kernels/gemm.h"

using namespace convkit::kernels;

int main() {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  // Ragged edges around the NEON tile (8 x 8) and its blocks, and the Keras MNIST convnet's shapes.
  const int shapes[][3] = {{1, 1, 1}, {7, 9, 5}, {8, 8, 8}, {9, 17, 300}, {33, 70, 513}, {129, 65, 40}, {676, 32, 9}, {121, 64, 288}};
  const Activation activations[] = {Activation::Linear, Activation::Relu, Activation::LeakyRelu};
  long values = 0;
  long mismatches = 0;
  for (const auto& shape : shapes) {
    for (const Activation activation : activations) {
      for (int transposes = 0; transposes < 4; ++transposes) {
        const int m = shape[0], n = shape[1], k = shape[2];
        const Transpose transA = (transposes & 1) ? Transpose::Yes : Transpose::No;
        const Transpose transB = (transposes & 2) ? Transpose::Yes : Transpose::No;
        std::vector<float> a(m * k), b(k * n), bias(n), before(m * n);
        for (auto* v : {&a, &b, &bias, &before}) {
          for (float& x : *v) x = uniform(rng);
        }
        std::vector<float> c = before;
        gemm(transA, transB, m, n, k, 1.25f, a.data(), transA == Transpose::No ? k : m, b.data(),
             transB == Transpose::No ? n : k, 0.5f, c.data(), n, GemmEpilogue{bias.data(), activation, 0.1f});
        for (int i = 0; i < m; ++i) {
          for (int j = 0; j < n; ++j) {
            double sum = 0.0;
            for (int p = 0; p < k; ++p) {
              const double av = transA == Transpose::No ? a[i * k + p] : a[p * m + i];
              const double bv = transB == Transpose::No ? b[p * n + j] : b[j * k + p];
              sum += av * bv;
            }
            double expected = 1.25 * sum + 0.5 * before[i * n + j] + bias[j];
            if (expected < 0.0 && activation == Activation::Relu) expected = 0.0;
            if (expected < 0.0 && activation == Activation::LeakyRelu) expected *= 0.1;
            ++values;
            const double tolerance = 1e-4 * std::sqrt(static_cast<double>(k)) + 1e-4 * std::fabs(expected);
            if (std::fabs(expected - c[i * n + j]) > tolerance) ++mismatches;
          }
        }
      }
    }
  }
  std::printf("{\"isa\":\"%s\",\"values\":%ld,\"mismatches\":%ld}\n", isaName(activeIsa()), values, mismatches);
  return mismatches == 0 ? 0 : 1;
}
