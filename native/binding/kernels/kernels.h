// The per-kernel functions exist so the tests and the GEMM bench can drive each kernel directly; the
// library itself only uses the Network and backend bindings. They live under one object,
// addon.kernels, one file per kernel family, and only convert and validate their arguments. This
// header declares each family's registration and the hyperparameter checks several families share.
#pragma once

#include <cstddef>
#include <cstdint>
#include <tuple>
#include <utility>

#include <napi.h>

#include "binding/args.h"
#include "binding/bindings.h"
#include "binding/specs.h"

namespace convkit::binding {

// Each sets its family's functions on `target` (addon.kernels) with exportFunctions.
void registerGemmKernels(Napi::Env env, Napi::Object target);
void registerConv2dKernels(Napi::Env env, Napi::Object target);
void registerDepthwiseConv2dKernels(Napi::Env env, Napi::Object target);
void registerDenseKernels(Napi::Env env, Napi::Object target);
void registerPoolingKernels(Napi::Env env, Napi::Object target);
void registerActivationKernels(Napi::Env env, Napi::Object target);  // activations, maxout
void registerLossKernels(Napi::Env env, Napi::Object target);
void registerBatchNormKernels(Napi::Env env, Napi::Object target);
void registerDropoutKernels(Napi::Env env, Napi::Object target);
void registerOptimizerKernels(Napi::Env env, Napi::Object target);

constexpr double kFloatMax = 3.4028234663852886e38;
// Seeds and step counts are JavaScript numbers, exact up to 2^53 - 1.
constexpr int64_t kMaxSafeInteger = (int64_t{1} << 53) - 1;

// A range a float hyperparameter must fall in; an open end excludes its endpoint.
struct Interval {
  double min;
  bool openMin;
  double max;
  bool openMax;
};

constexpr Interval kNonNegative{0.0, false, kFloatMax, false};  // [0, max float]
constexpr Interval kPositive{0.0, true, kFloatMax, false};      // (0, max float]
constexpr Interval kUnit{0.0, false, 1.0, false};               // [0, 1]
constexpr Interval kUnitBelowOne{0.0, false, 1.0, true};        // [0, 1)

// A number property checked against `interval` after rounding to float, which is what the kernel
// sees: 0.99999999999 passes as a double below 1 but reaches the kernel as 1.0f.
float floatIn(const Args& args, const Napi::Object& params, const char* field, Interval interval);

// As floatIn; `fallback` when the property is undefined.
float optionalFloatIn(const Args& args, const Napi::Object& params, const char* field, float fallback,
                      Interval interval);

// The element count an array argument must have, and how it is derived ("batch*units"), for the
// error message.
struct Extent {
  int64_t count;
  const char* what;
};

// How an array argument may be passed: required, optional (null or undefined give nullptr), or,
// for a written array, possibly the very array it replaces (Aliasing::MayBeInPlace).
enum class Pass { Required, Optional, InPlace };

// The array arguments of a kernel: In ones it reads, Out ones it writes; Float32Array unless the
// name says Uint8 (InUint8, OutUint8) or Int32 (InInt32).
struct In {
  const char* name;
  Extent extent;
  Pass pass = Pass::Required;
};
struct Out {
  const char* name;
  Extent extent;
  Pass pass = Pass::Required;
};
struct InUint8 {
  const char* name;
  Extent extent;
};
struct OutUint8 {
  const char* name;
  Extent extent;
};
struct InInt32 {
  const char* name;
  Extent extent;
};

const float* readArray(Args& args, size_t index, const In& array);
float* readArray(Args& args, size_t index, const Out& array);
const uint8_t* readArray(Args& args, size_t index, const InUint8& array);
uint8_t* readArray(Args& args, size_t index, const OutUint8& array);
const int32_t* readArray(Args& args, size_t index, const InInt32& array);

template <typename... Arrays, size_t... I>
auto readArraysAt(Args& args, size_t first, std::index_sequence<I...>, const Arrays&... arrays) {
  // A braced list is evaluated left to right: arrays are checked, and errors reported, in order.
  return std::tuple<decltype(readArray(args, 0, arrays))...>{readArray(args, first + I, arrays)...};
}

// Reads the array arguments at `first`, `first + 1`, ... in order, checking each one's type and
// length and that written arrays share no memory with the others; returns their data pointers
// in the same order, for a structured binding:
//   const auto [x, y] = readArrays(args, 1, In{"x", n}, Out{"y", n, Pass::InPlace});
template <typename... Arrays>
auto readArrays(Args& args, size_t first, const Arrays&... arrays) {
  return readArraysAt(args, first, std::index_sequence_for<Arrays...>{}, arrays...);
}

// A call of a layer that multiplies its input by a kernel and adds a bias (dense, conv2d): its
// geometry, and the extents of its arrays (each also that of its gradient).
template <typename Geometry>
struct WeightedCall {
  Geometry g;
  Extent input, output, kernel, bias;
};

// The forward and backward functions of such a layer, over the call `read` reads from params.
template <typename Geometry, WeightedCall<Geometry> (*read)(Args&)>
struct WeightedLayer {
  using Call = WeightedCall<Geometry>;

  // forward(params (with activation?, activationAlpha?), input, kernel, bias | null, output)
  template <void (*kernel)(const Geometry&, const float*, const float*, const float*, float*, kernels::Activation,
                           float)>
  static Napi::Value forward(Args& args) {
    const Call c = read(args);
    const OutputActivation activation =
        readOutputActivation(args, args.object(0, "params"), "to be applied in the GEMM epilogue");
    const auto [input, weights, bias, output] = readArrays(args, 1, In{"input", c.input}, In{"kernel", c.kernel},
                                                           In{"bias", c.bias, Pass::Optional}, Out{"output", c.output});
    kernel(c.g, input, weights, bias, output, activation.kind, activation.alpha);
    return args.env().Undefined();
  }

  // backwardInput(params, gradOutput, kernel, gradInput)
  template <void (*kernel)(const Geometry&, const float*, const float*, float*)>
  static Napi::Value backwardInput(Args& args) {
    const Call c = read(args);
    const auto [gradOutput, weights, gradInput] =
        readArrays(args, 1, In{"gradOutput", c.output}, In{"kernel", c.kernel}, Out{"gradInput", c.input});
    kernel(c.g, gradOutput, weights, gradInput);
    return args.env().Undefined();
  }

  // backwardParams(params, input, gradOutput, gradKernel, gradBias | null)
  template <void (*kernel)(const Geometry&, const float*, const float*, float*, float*)>
  static Napi::Value backwardParams(Args& args) {
    const Call c = read(args);
    const auto [input, gradOutput, gradKernel, gradBias] =
        readArrays(args, 1, In{"input", c.input}, In{"gradOutput", c.output}, Out{"gradKernel", c.kernel},
                   Out{"gradBias", c.bias, Pass::Optional});
    kernel(c.g, input, gradOutput, gradKernel, gradBias);
    return args.env().Undefined();
  }
};

}  // namespace convkit::binding
