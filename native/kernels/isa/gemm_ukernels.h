// The GEMM micro-kernels (GemmMicroKernel, GemmIndirectMicroKernel in dispatch.h) and the peak
// multiply-add loop, written once over a small vector interface, in the manner of ggml's
// GGML_F32_VEC macros: each SIMD translation unit (avx2.cc, avx512.cc, neon.cc) instantiates them
// with its own intrinsics and is compiled with its own flags; scalar.cc has its own plain loops.
// Include this header only from those files, and give the vector interface internal linkage (an
// anonymous namespace), so that every instantiation stays private to its translation unit and
// baseline code can never link to one.
//
// The vector interface V provides:
//   using Vec;  static constexpr int kLanes;
//   Vec zero();  Vec load(const float*);  Vec broadcast(float);  void store(float*, Vec);
//   Vec add(Vec a, Vec b);  Vec multiply(Vec a, Vec b);  Vec multiplyAdd(Vec a, Vec b, Vec c)  // a * b + c, fused
//   Vec selectNegative(Vec x, Vec y)  // y where x < 0, else x (NaN counts as not negative)
#pragma once

#include <cstdint>
#include <type_traits>

#include "kernels/compiler.h"
#include "kernels/isa/epilogue.h"

namespace convkit::kernels {

// applyEpilogue (epilogue.h) on one vector of C whose first column is `column` of the tile.
template <class V>
typename V::Vec epilogueVector(const GemmEpilogue& epilogue, int column, typename V::Vec x) {
  if (epilogue.columnBias != nullptr) x = V::add(x, V::load(epilogue.columnBias + column));
  switch (epilogue.activation) {
    case Activation::Relu: return V::selectNegative(x, V::zero());
    case Activation::LeakyRelu: return V::selectNegative(x, V::multiply(V::broadcast(epilogue.alpha), x));
    default: return x;
  }
}

// Finishes a register tile: C = alpha * acc + beta * C for the first `cols` columns, then the
// epilogue when given. Shared by the direct and the indirect micro-kernels.
template <class V, int kRows, int kVectors>
CONVKIT_ALWAYS_INLINE void simdStoreTile(const typename V::Vec (&acc)[kRows][kVectors], float alpha, float beta,
                                         float* c, int64_t ldc, int64_t cols, const GemmEpilogue* epilogue) {
  using Vec = typename V::Vec;
  constexpr int kLanes = V::kLanes;
  constexpr int kNR = kVectors * kLanes;
  const Vec alphaVec = V::broadcast(alpha);
  const auto finish = [epilogue](int v, Vec x) {
    return epilogue == nullptr ? x : epilogueVector<V>(*epilogue, v * kLanes, x);
  };
  if (cols == kNR) {
    if (beta == 0.0f) {
      CONVKIT_UNROLL for (int r = 0; r < kRows; ++r) {
        CONVKIT_UNROLL for (int v = 0; v < kVectors; ++v) {
          V::store(c + r * ldc + v * kLanes, finish(v, V::multiply(alphaVec, acc[r][v])));
        }
      }
    } else {
      const Vec betaVec = V::broadcast(beta);
      CONVKIT_UNROLL for (int r = 0; r < kRows; ++r) {
        CONVKIT_UNROLL for (int v = 0; v < kVectors; ++v) {
          float* out = c + r * ldc + v * kLanes;
          V::store(out, finish(v, V::multiplyAdd(alphaVec, acc[r][v], V::multiply(betaVec, V::load(out)))));
        }
      }
    }
    return;
  }

  // A ragged right edge: scale the tile in memory, then update only the columns that exist in C.
  float tile[kRows * kNR];
  CONVKIT_UNROLL for (int r = 0; r < kRows; ++r) {
    CONVKIT_UNROLL for (int v = 0; v < kVectors; ++v) {
      V::store(tile + r * kNR + v * kLanes, V::multiply(alphaVec, acc[r][v]));
    }
  }
  for (int r = 0; r < kRows; ++r) {
    float* cRow = c + r * ldc;
    const float* tileRow = tile + r * kNR;
    if (beta == 0.0f) {
      for (int64_t j = 0; j < cols; ++j) cRow[j] = tileRow[j];
    } else {
      for (int64_t j = 0; j < cols; ++j) cRow[j] = tileRow[j] + beta * cRow[j];
    }
    if (epilogue != nullptr) {
      for (int64_t j = 0; j < cols; ++j) cRow[j] = applyEpilogue(*epilogue, j, cRow[j]);
    }
  }
}

// How a column's whole tiles are written to C, decided once per column. The stores most products
// make (alpha 1, beta 0, every column of the tile in C, then nothing, a bias, a ReLU or both) are
// compiled without a branch between a tile's last multiply-add and its stores; handling them at
// run time spilled accumulators to the stack around those branches (measured 0.8x the throughput
// at depth 9 on Zen 3). General is simdStoreTile: anything else, decided per tile.
enum class TileStore { Plain, Bias, Relu, BiasRelu, General };

inline TileStore tileStoreFor(float alpha, float beta, int64_t cols, int64_t nr, const GemmEpilogue* epilogue) {
  if (alpha != 1.0f || beta != 0.0f || cols != nr) return TileStore::General;
  if (epilogue == nullptr) return TileStore::Plain;
  const bool bias = epilogue->columnBias != nullptr;
  switch (epilogue->activation) {
    case Activation::Linear: return bias ? TileStore::Bias : TileStore::Plain;
    case Activation::Relu: return bias ? TileStore::BiasRelu : TileStore::Relu;
    default: return TileStore::General;
  }
}

// Calls run(std::integral_constant<TileStore, store>{}).
template <typename Run>
void withTileStore(TileStore store, Run run) {
  using Store = TileStore;
  switch (store) {
    case Store::Plain: return run(std::integral_constant<Store, Store::Plain>{});
    case Store::Bias: return run(std::integral_constant<Store, Store::Bias>{});
    case Store::Relu: return run(std::integral_constant<Store, Store::Relu>{});
    case Store::BiasRelu: return run(std::integral_constant<Store, Store::BiasRelu>{});
    case Store::General: return run(std::integral_constant<Store, Store::General>{});
  }
}

// Writes a finished register tile to C as kStore says; the same values as simdStoreTile.
template <TileStore kStore, class V, int kRows, int kVectors>
CONVKIT_ALWAYS_INLINE void simdFinishTile(const typename V::Vec (&acc)[kRows][kVectors], float alpha, float beta,
                                          float* c, int64_t ldc, int64_t cols, const GemmEpilogue* epilogue) {
  if constexpr (kStore == TileStore::General) {
    simdStoreTile<V, kRows, kVectors>(acc, alpha, beta, c, ldc, cols, epilogue);
  } else {
    constexpr bool kBias = kStore == TileStore::Bias || kStore == TileStore::BiasRelu;
    constexpr bool kRelu = kStore == TileStore::Relu || kStore == TileStore::BiasRelu;
    typename V::Vec bias[kVectors];
    if constexpr (kBias) {
      CONVKIT_UNROLL for (int v = 0; v < kVectors; ++v) bias[v] = V::load(epilogue->columnBias + v * V::kLanes);
    }
    CONVKIT_UNROLL for (int r = 0; r < kRows; ++r) {
      CONVKIT_UNROLL for (int v = 0; v < kVectors; ++v) {
        typename V::Vec x = acc[r][v];
        if constexpr (kBias) x = V::add(x, bias[v]);
        if constexpr (kRelu) x = V::selectNegative(x, V::zero());
        V::store(c + r * ldc + v * V::kLanes, x);
      }
    }
  }
}

// Starts bringing a register tile's tile of C into the cache: C is stored (and read, unless beta
// is 0) once the depth loop ends, and prefetching it first hides that latency behind the loop's
// work (measured 0.77x the time of a 1024^3 GEMM on Zen 3, whose C rows have left L2 by then). A
// ragged tile may prefetch past its row's end: prefetches never fault.
template <int kRows, int kColumns>
CONVKIT_ALWAYS_INLINE void prefetchTile(const float* c, int64_t ldc) {
  CONVKIT_UNROLL for (int r = 0; r < kRows; ++r) {
    CONVKIT_PREFETCH_FOR_WRITE(c + r * ldc);
    CONVKIT_PREFETCH_FOR_WRITE(c + r * ldc + kColumns - 1);
  }
}

// Calls run(std::integral_constant<int, r>) with r == rows (1 <= rows <= kMR): a tile cut short at
// the bottom of C multiplies only the rows it has, so a 9-row C costs 6 + 3 rows of multiply-adds,
// not 6 + 6.
template <int kMR, typename Run>
void withRowCount(int64_t rows, Run run) {
  if constexpr (kMR > 1) {
    if (rows < kMR) return withRowCount<kMR - 1>(rows, run);
  }
  run(std::integral_constant<int, kMR>{});
}

// One step of depth on a register tile: acc[r][v] += aValue(r) * (the step's nr floats of B), or
// for the first step (kFirst) acc[r][v] = aValue(r) * (B's floats). Starting with a multiply
// rather than zeroed accumulators gives the register allocator three-operand instructions to work
// with: a hand-written depth-9 tile took 0.79x the time on Zen 3 (every micro-kernel's kc >= 1).
template <bool kFirst, class V, int kRows, int kVectors, typename AValue>
CONVKIT_ALWAYS_INLINE void simdMultiplyAddStep(typename V::Vec (&acc)[kRows][kVectors], const float* packedB,
                                               AValue aValue) {
  typename V::Vec bRow[kVectors];
  CONVKIT_UNROLL for (int v = 0; v < kVectors; ++v) bRow[v] = V::load(packedB + v * V::kLanes);
  CONVKIT_UNROLL for (int r = 0; r < kRows; ++r) {
    const typename V::Vec aBroadcast = V::broadcast(aValue(r));
    CONVKIT_UNROLL for (int v = 0; v < kVectors; ++v) {
      acc[r][v] = kFirst ? V::multiply(aBroadcast, bRow[v]) : V::multiplyAdd(aBroadcast, bRow[v], acc[r][v]);
    }
  }
}

// The layouts of A and B a column of tiles is compiled for. PackedA: A packed (strides 1 and
// kMR), any depth, B's depth stride from the arguments. SmallDepth<k, rowMajorA>: A row-major
// (depth stride 1) or transposed (row stride 1, as a grey or RGB layer's im2col lays it out),
// packed B, depth k, the depth loop unrolled whole so that every address is a constant offset
// from a few registers: at the depth of a first convolution layer (3x3 over 1 or 3 channels) a
// run-time loop's counters and strides cost as much as its multiply-adds. Strided:
// anything else, every stride from the arguments.
struct PackedA {};
template <int kDepth_, bool kRowMajorA_>
struct SmallDepth {
  static constexpr int kDepth = kDepth_;
  static constexpr bool kRowMajorA = kRowMajorA_;
};
struct Strided {};
template <class Layout>
struct IsSmallDepth : std::false_type {};
template <int kDepth, bool kRowMajorA>
struct IsSmallDepth<SmallDepth<kDepth, kRowMajorA>> : std::true_type {};

// kRows x (kVectors * V::kLanes) of C: the whole register tile when kRows == kMR, or only the
// rows that exist at the bottom edge of C, with A and B laid out as Layout says. B's depth steps
// are bDepthStride floats apart: nr when packed, ldb when read in place.
template <class V, int kRows, int kVectors, int kMR, class Layout, TileStore kStore = TileStore::General>
CONVKIT_ALWAYS_INLINE void simdGemmRows(int64_t kc, const float* a, int64_t aRowStride, int64_t aDepthStride,
                                        const float* b, int64_t bDepthStride, float alpha, float beta, float* c,
                                        int64_t ldc, int64_t cols, const GemmEpilogue* epilogue) {
  using Vec = typename V::Vec;

  Vec acc[kRows][kVectors];
  if constexpr (IsSmallDepth<Layout>::value) {
    // No prefetch of C: the stores follow within a few dozen cycles, too soon for it to help.
    constexpr int kNR = kVectors * V::kLanes;
    const auto aValue = [a, aRowStride, aDepthStride](int r, int p) {
      return Layout::kRowMajorA ? a[r * aRowStride + p] : a[r + p * aDepthStride];
    };
    simdMultiplyAddStep<true, V>(acc, b, [&aValue](int r) { return aValue(r, 0); });
    CONVKIT_UNROLL for (int p = 1; p < Layout::kDepth; ++p) {
      simdMultiplyAddStep<false, V>(acc, b + p * kNR, [&aValue, p](int r) { return aValue(r, p); });
    }
    return simdFinishTile<kStore, V>(acc, alpha, beta, c, ldc, cols, epilogue);
  }
  prefetchTile<kRows, kVectors * V::kLanes>(c, ldc);
  constexpr bool kPackedA = std::is_same_v<Layout, PackedA>;
  const int64_t rowStride = kPackedA ? 1 : aRowStride;
  const int64_t depthStride = kPackedA ? kMR : aDepthStride;
  simdMultiplyAddStep<true, V>(acc, b, [=](int r) { return a[r * rowStride]; });
  const auto multiplyAddNext = [&] {
    a += depthStride;
    b += bDepthStride;
    simdMultiplyAddStep<false, V>(acc, b, [=](int r) { return a[r * rowStride]; });
  };
  CONVKIT_UNROLL_DEPTH for (int64_t p = 1; p < kc; ++p) multiplyAddNext();
  simdFinishTile<kStore, V>(acc, alpha, beta, c, ldc, cols, epilogue);
}

// `tiles` whole kMR-row tiles down a column, A's tiles aTileStride floats apart. A function of its
// own, so that its loop is compiled alone: inlined into simdGemmColumn beside every ragged-tile
// variant, its strides and pointers were spilled to the stack (measured 0.8x the throughput at
// depth 9). The strides are made opaque in each pass for the same reason (CONVKIT_OPAQUE).
template <class V, int kMR, int kVectors, class Layout>
CONVKIT_NOINLINE void simdGemmWholeTiles(int64_t tiles, int64_t kc, const float* a, int64_t aRowStride,
                                         int64_t aDepthStride, int64_t aTileStride, const float* b,
                                         int64_t bDepthStride, float alpha, float beta, float* c, int64_t ldc,
                                         int64_t cols, const GemmEpilogue* epilogue) {
  withTileStore(tileStoreFor(alpha, beta, cols, kVectors * V::kLanes, epilogue), [&](auto store) {
    for (int64_t t = 0; t < tiles; ++t, a += aTileStride, c += kMR * ldc) {
      CONVKIT_OPAQUE(aRowStride);
      CONVKIT_OPAQUE(ldc);
      simdGemmRows<V, kMR, kVectors, kMR, Layout, decltype(store)::value>(
          kc, a, aRowStride, aDepthStride, b, bDepthStride, alpha, beta, c, ldc, cols, epilogue);
    }
  });
}

// The whole-tile loop compiled for a column's layout of A and B (see PackedA).
using WholeTilesLoop = void (*)(int64_t tiles, int64_t kc, const float* a, int64_t aRowStride, int64_t aDepthStride,
                                int64_t aTileStride, const float* b, int64_t bDepthStride, float alpha, float beta,
                                float* c, int64_t ldc, int64_t cols, const GemmEpilogue* epilogue);

template <class V, int kMR, int kVectors>
WholeTilesLoop wholeTilesFor(int64_t kc, bool packedA, int64_t aRowStride, int64_t aDepthStride, int64_t bDepthStride) {
  if (packedA) return simdGemmWholeTiles<V, kMR, kVectors, PackedA>;
  // The depths of 3x3 first layers: convolutions with fewer than 8 floats per kernel row (grey
  // images) lay their im2col out transposed, the rest (RGB) row-major (conv2d.cc).
  if (bDepthStride == kVectors * V::kLanes && kc == 9 && aRowStride == 1) {
    return simdGemmWholeTiles<V, kMR, kVectors, SmallDepth<9, false>>;
  }
  if (bDepthStride == kVectors * V::kLanes && aDepthStride == 1) {
    if (kc == 9) return simdGemmWholeTiles<V, kMR, kVectors, SmallDepth<9, true>>;
    if (kc == 27) return simdGemmWholeTiles<V, kMR, kVectors, SmallDepth<27, true>>;
  }
  return simdGemmWholeTiles<V, kMR, kVectors, Strided>;
}

// A column of kMR x (kVectors * V::kLanes) register tiles with the contract of GemmMicroKernel
// (dispatch.h): the whole tiles, then the rows left at the bottom of C.
template <class V, int kMR, int kVectors>
void simdGemmColumn(int64_t kc, const float* a, int64_t aRowStride, int64_t aDepthStride, int64_t aTileStride,
                    const float* b, int64_t bDepthStride, float alpha, float beta, float* c, int64_t ldc, int64_t rows,
                    int64_t cols, const GemmEpilogue* epilogue) {
  const bool packedA = aRowStride == 1 && aDepthStride == kMR;
  const int64_t wholeTiles = rows / kMR;
  const auto whole = wholeTilesFor<V, kMR, kVectors>(kc, packedA, aRowStride, aDepthStride, bDepthStride);
  whole(wholeTiles, kc, a, aRowStride, aDepthStride, aTileStride, b, bDepthStride, alpha, beta, c, ldc, cols, epilogue);
  const int64_t rowsLeft = rows - wholeTiles * kMR;
  if (rowsLeft == 0) return;
  a += wholeTiles * aTileStride;
  c += wholeTiles * kMR * ldc;
  withRowCount<kMR - 1>(rowsLeft, [&](auto rowCount) {
    constexpr int kRows = decltype(rowCount)::value;
    if (packedA) {
      simdGemmRows<V, kRows, kVectors, kMR, PackedA>(kc, a, aRowStride, aDepthStride, b, bDepthStride, alpha, beta, c,
                                                     ldc, cols, epilogue);
    } else {
      simdGemmRows<V, kRows, kVectors, kMR, Strided>(kc, a, aRowStride, aDepthStride, b, bDepthStride, alpha, beta, c,
                                                     ldc, cols, epilogue);
    }
  });
}

// The indirect tile (GemmIndirectMicroKernel, dispatch.h) for the first kRows rows: per tap, each
// row's pointer is loaded once, then the tap's depth runs as in simdGemmRows.
template <class V, int kRows, int kVectors, TileStore kStore = TileStore::General>
CONVKIT_ALWAYS_INLINE void simdIndirectRows(int64_t taps, int64_t tapDepth, const float* const* a, int64_t aRowStride,
                                            int64_t aOffset, const float* zero, const float* packedB, float beta,
                                            float* c, int64_t ldc, int64_t cols, const GemmEpilogue* epilogue) {
  using Vec = typename V::Vec;
  constexpr int kNR = kVectors * V::kLanes;

  Vec acc[kRows][kVectors];
  prefetchTile<kRows, kNR>(c, ldc);
  const float* rowValues[kRows];
  const auto startTap = [&](int64_t tap) {
    CONVKIT_UNROLL for (int r = 0; r < kRows; ++r) {
      const float* values = a[r * aRowStride + tap];
      rowValues[r] = values == zero ? zero : values + aOffset;
    }
  };
  const auto multiplyAddTap = [&](int64_t firstStep) {
    for (int64_t p = firstStep; p < tapDepth; ++p, packedB += kNR) {
      simdMultiplyAddStep<false, V>(acc, packedB, [&rowValues, p](int r) { return rowValues[r][p]; });
    }
  };
  startTap(0);
  simdMultiplyAddStep<true, V>(acc, packedB, [&rowValues](int r) { return rowValues[r][0]; });
  packedB += kNR;
  multiplyAddTap(1);
  for (int64_t tap = 1; tap < taps; ++tap) {
    startTap(tap);
    multiplyAddTap(0);
  }
  simdFinishTile<kStore, V>(acc, 1.0f, beta, c, ldc, cols, epilogue);
}

// `tiles` whole kMR-row indirect tiles down a column, out of line and with opaque strides as
// simdGemmWholeTiles.
template <class V, int kMR, int kVectors>
CONVKIT_NOINLINE void simdIndirectWholeTiles(int64_t tiles, int64_t taps, int64_t tapDepth, const float* const* a,
                                             int64_t aRowStride, int64_t aOffset, const float* zero,
                                             const float* packedB, float beta, float* c, int64_t ldc, int64_t cols,
                                             const GemmEpilogue* epilogue) {
  withTileStore(tileStoreFor(1.0f, beta, cols, kVectors * V::kLanes, epilogue), [&](auto store) {
    for (int64_t t = 0; t < tiles; ++t, a += kMR * aRowStride, c += kMR * ldc) {
      CONVKIT_OPAQUE(aRowStride);
      CONVKIT_OPAQUE(ldc);
      simdIndirectRows<V, kMR, kVectors, decltype(store)::value>(taps, tapDepth, a, aRowStride, aOffset, zero, packedB,
                                                                 beta, c, ldc, cols, epilogue);
    }
  });
}

// A column of kMR x (kVectors * V::kLanes) register tiles with the contract of
// GemmIndirectMicroKernel: the whole tiles, then the rows left at the bottom of C.
template <class V, int kMR, int kVectors>
void simdIndirectColumn(int64_t taps, int64_t tapDepth, const float* const* a, int64_t aRowStride, int64_t aOffset,
                        const float* zero, const float* packedB, float beta, float* c, int64_t ldc, int64_t rows,
                        int64_t cols, const GemmEpilogue* epilogue) {
  const int64_t wholeTiles = rows / kMR;
  simdIndirectWholeTiles<V, kMR, kVectors>(wholeTiles, taps, tapDepth, a, aRowStride, aOffset, zero, packedB, beta, c,
                                           ldc, cols, epilogue);
  const int64_t rowsLeft = rows - wholeTiles * kMR;
  if (rowsLeft == 0) return;
  withRowCount<kMR - 1>(rowsLeft, [&](auto rowCount) {
    simdIndirectRows<V, decltype(rowCount)::value, kVectors>(taps, tapDepth, a + wholeTiles * kMR * aRowStride,
                                                             aRowStride, aOffset, zero, packedB, beta,
                                                             c + wholeTiles * kMR * ldc, ldc, cols, epilogue);
  });
}

// kChains independent multiply-add chains on registers, `rounds` times: enough chains to cover
// the FMA latency on every port, so the loop runs at the ISA's multiply-add throughput. Returns
// the floating-point operations done (2 per lane per multiply-add).
template <class V, int kChains>
double simdMultiplyAddLoop(int64_t rounds, float* sink) {
  using Vec = typename V::Vec;
  // acc <- acc * scale + offset converges to offset / (1 - scale): no overflow, no denormals.
  const Vec scale = V::broadcast(sink[0]);
  const Vec offset = V::broadcast(sink[1]);
  Vec acc[kChains];
  CONVKIT_UNROLL for (int i = 0; i < kChains; ++i) acc[i] = V::broadcast(sink[2] + i);
  for (int64_t round = 0; round < rounds; ++round) {
    CONVKIT_UNROLL for (int i = 0; i < kChains; ++i) acc[i] = V::multiplyAdd(acc[i], scale, offset);
  }
  Vec total = acc[0];
  CONVKIT_UNROLL for (int i = 1; i < kChains; ++i) total = V::multiplyAdd(acc[i], scale, total);
  float lanes[V::kLanes];
  V::store(lanes, total);
  sink[0] = lanes[0];
  return 2.0 * kChains * V::kLanes * static_cast<double>(rounds);
}

}  // namespace convkit::kernels
