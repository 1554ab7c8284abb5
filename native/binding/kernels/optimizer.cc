// addon.kernels: the optimizers' in-place updates, and the sum of squares and scaling that
// clipping by norm uses.
#include <sstream>
#include <string>

#include "binding/args.h"
#include "binding/bindings.h"
#include "binding/kernels/kernels.h"
#include "kernels/optimizer.h"

namespace convkit::binding {
namespace {

// Length of the typed array at `index`, for functions that take an array of any length; 0 for a
// non-array, which the typed read that follows then rejects with a TypeError.
int64_t typedArrayLength(const Napi::CallbackInfo& info, size_t index) {
  const Napi::Value value = info[index];
  return value.IsTypedArray() ? static_cast<int64_t>(value.As<Napi::TypedArray>().ElementLength())
                              : 0;
}

const char* describeJsType(const Napi::Value& value) {
  switch (value.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "a boolean";
    case napi_number: return "a number";
    case napi_string: return "a string";
    case napi_symbol: return "a symbol";
    case napi_function: return "a function";
    case napi_bigint: return "a bigint";
    default: return "an object";
  }
}

// sgdUpdate({ count, learningRate, momentum?, nesterov? }, param, grad, velocity?)
Napi::Value sgdUpdate(const Napi::CallbackInfo& info) {
  Args args(info, "sgdUpdate");
  const Napi::Object params = args.object(0, "params");
  const int64_t count = args.integer(params, "count", 1);
  const float learningRate = floatIn(args, params, "learningRate", kNonNegative);
  const float momentum = optionalFloatIn(args, params, "momentum", 0.0f, kUnit);
  const bool nesterov = args.boolean(params, "nesterov", false);
  float* param = args.writeFloat32(1, "param", count, "count");
  const float* grad = args.readFloat32(2, "grad", count, "count");
  float* velocity = args.writeOptionalFloat32(3, "velocity", count, "count");
  if (momentum > 0.0f && velocity == nullptr) {
    std::ostringstream message;
    message << "velocity is required when momentum > 0 (momentum is " << momentum << ")";
    args.throwRangeError(message.str());
  }
  kernels::sgdUpdate(count, learningRate, momentum, nesterov, param, grad, velocity);
  return info.Env().Undefined();
}

// rmspropUpdate({ count, learningRate, rho?, epsilon? }, param, grad, meanSquare)
Napi::Value rmspropUpdate(const Napi::CallbackInfo& info) {
  Args args(info, "rmspropUpdate");
  const Napi::Object params = args.object(0, "params");
  const int64_t count = args.integer(params, "count", 1);
  const float learningRate = floatIn(args, params, "learningRate", kNonNegative);
  const float rho = optionalFloatIn(args, params, "rho", 0.9f, kUnit);
  const float epsilon = optionalFloatIn(args, params, "epsilon", 1e-7f, kPositive);
  float* param = args.writeFloat32(1, "param", count, "count");
  const float* grad = args.readFloat32(2, "grad", count, "count");
  float* meanSquare = args.writeFloat32(3, "meanSquare", count, "count");
  kernels::rmspropUpdate(count, learningRate, rho, epsilon, param, grad, meanSquare);
  return info.Env().Undefined();
}

// adamUpdate({ count, learningRate, beta1?, beta2?, epsilon?, step, weightDecay? }, param, grad,
// m, v)
Napi::Value adamUpdate(const Napi::CallbackInfo& info) {
  Args args(info, "adamUpdate");
  const Napi::Object params = args.object(0, "params");
  const int64_t count = args.integer(params, "count", 1);
  const float learningRate = floatIn(args, params, "learningRate", kNonNegative);
  // beta1 = 1 would divide by 1 - beta1^t = 0; beta2 = 1 would never update v.
  const float beta1 = optionalFloatIn(args, params, "beta1", 0.9f, kUnitBelowOne);
  const float beta2 = optionalFloatIn(args, params, "beta2", 0.999f, kUnitBelowOne);
  const float epsilon = optionalFloatIn(args, params, "epsilon", 1e-7f, kPositive);
  const int64_t step = args.integer(params, "step", 1, kMaxSafeInteger);
  const float weightDecay = optionalFloatIn(args, params, "weightDecay", 0.0f, kNonNegative);
  float* param = args.writeFloat32(1, "param", count, "count");
  const float* grad = args.readFloat32(2, "grad", count, "count");
  float* m = args.writeFloat32(3, "m", count, "count");
  float* v = args.writeFloat32(4, "v", count, "count");
  kernels::adamUpdate(count, learningRate, beta1, beta2, epsilon, step, weightDecay, param, grad,
                      m, v);
  return info.Env().Undefined();
}

// sumOfSquares(x) -> number, for an x of any length.
Napi::Value sumOfSquares(const Napi::CallbackInfo& info) {
  Args args(info, "sumOfSquares");
  const int64_t count = typedArrayLength(info, 0);
  const float* x = args.readFloat32(0, "x", count, "x.length");
  return Napi::Number::New(info.Env(), kernels::sumOfSquares(count, x));
}

// scaleInPlace(factor, x), for an x of any length.
Napi::Value scaleInPlace(const Napi::CallbackInfo& info) {
  Args args(info, "scaleInPlace");
  const Napi::Value factorValue = info[0];
  if (!factorValue.IsNumber()) {
    args.throwTypeError(std::string("factor must be a number, got ") +
                        describeJsType(factorValue));
  }
  const double factor = factorValue.As<Napi::Number>().DoubleValue();
  if (!(factor >= -kFloatMax && factor <= kFloatMax)) {
    std::ostringstream message;
    message << "factor must be a finite float32 number, got " << factor;
    args.throwRangeError(message.str());
  }
  const int64_t count = typedArrayLength(info, 1);
  float* x = args.writeFloat32(1, "x", count, "x.length");
  kernels::scaleInPlace(count, static_cast<float>(factor), x);
  return info.Env().Undefined();
}

}  // namespace

void registerOptimizerKernels(Napi::Env env, Napi::Object target) {
  exportFunction(env, target, "sgdUpdate", sgdUpdate);
  exportFunction(env, target, "rmspropUpdate", rmspropUpdate);
  exportFunction(env, target, "adamUpdate", adamUpdate);
  exportFunction(env, target, "sumOfSquares", sumOfSquares);
  exportFunction(env, target, "scaleInPlace", scaleInPlace);
}

}  // namespace convkit::binding
