// The per-kernel functions exist so the tests and the GEMM bench can drive each kernel directly; the
// library itself only uses the Network and backend bindings. They live under one object,
// addon.kernels, one file per kernel family, and only convert and validate their arguments. This
// header declares each family's registration and the hyperparameter checks several families share.
#pragma once

#include <cstdint>

#include <napi.h>

#include "binding/args.h"

namespace convkit::binding {

// Each sets its family's functions on `target` (addon.kernels).
void registerGemmKernels(Napi::Env env, Napi::Object target);
void registerConv2dKernels(Napi::Env env, Napi::Object target);
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
float optionalFloatIn(const Args& args, const Napi::Object& params, const char* field,
                      float fallback, Interval interval);

}  // namespace convkit::binding
