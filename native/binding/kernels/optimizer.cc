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
  return value.IsTypedArray() ? static_cast<int64_t>(value.As<Napi::TypedArray>().ElementLength()) : 0;
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

// What every update's params hold: { count, learningRate, ... }; `n` is the extent of param and
// of the arrays of its state.
struct UpdateCall {
  Napi::Object params;
  int64_t count;
  float learningRate;
  Extent n;
};

UpdateCall readUpdateCall(Args& args) {
  const Napi::Object params = args.object(0, "params");
  const int64_t count = args.integer(params, "count", 1);
  const float learningRate = floatIn(args, params, "learningRate", kNonNegative);
  return {params, count, learningRate, {count, "count"}};
}

// sgdUpdate({ count, learningRate, momentum?, nesterov? }, param, grad, velocity?)
Napi::Value sgdUpdate(Args& args) {
  const UpdateCall c = readUpdateCall(args);
  const float momentum = optionalFloatIn(args, c.params, "momentum", 0.0f, kUnit);
  const bool nesterov = args.boolean(c.params, "nesterov", false);
  const auto [param, grad, velocity] =
      readArrays(args, 1, Out{"param", c.n}, In{"grad", c.n}, Out{"velocity", c.n, Pass::Optional});
  if (momentum > 0.0f && velocity == nullptr) {
    std::ostringstream message;
    message << "velocity is required when momentum > 0 (momentum is " << momentum << ")";
    args.throwRangeError(message.str());
  }
  kernels::sgdUpdate(c.count, c.learningRate, momentum, nesterov, param, grad, velocity);
  return args.env().Undefined();
}

// rmspropUpdate({ count, learningRate, rho?, epsilon? }, param, grad, meanSquare)
Napi::Value rmspropUpdate(Args& args) {
  const UpdateCall c = readUpdateCall(args);
  const float rho = optionalFloatIn(args, c.params, "rho", 0.9f, kUnit);
  const float epsilon = optionalFloatIn(args, c.params, "epsilon", 1e-7f, kPositive);
  const auto [param, grad, meanSquare] =
      readArrays(args, 1, Out{"param", c.n}, In{"grad", c.n}, Out{"meanSquare", c.n});
  kernels::rmspropUpdate(c.count, c.learningRate, rho, epsilon, param, grad, meanSquare);
  return args.env().Undefined();
}

// adamUpdate({ count, learningRate, beta1?, beta2?, epsilon?, step, weightDecay? }, param, grad,
// m, v)
Napi::Value adamUpdate(Args& args) {
  const UpdateCall c = readUpdateCall(args);
  // beta1 = 1 would divide by 1 - beta1^t = 0; beta2 = 1 would never update v.
  const float beta1 = optionalFloatIn(args, c.params, "beta1", 0.9f, kUnitBelowOne);
  const float beta2 = optionalFloatIn(args, c.params, "beta2", 0.999f, kUnitBelowOne);
  const float epsilon = optionalFloatIn(args, c.params, "epsilon", 1e-7f, kPositive);
  const int64_t step = args.integer(c.params, "step", 1, kMaxSafeInteger);
  const float weightDecay = optionalFloatIn(args, c.params, "weightDecay", 0.0f, kNonNegative);
  const auto [param, grad, m, v] =
      readArrays(args, 1, Out{"param", c.n}, In{"grad", c.n}, Out{"m", c.n}, Out{"v", c.n});
  kernels::adamUpdate(c.count, c.learningRate, beta1, beta2, epsilon, step, weightDecay, param, grad, m, v);
  return args.env().Undefined();
}

// sumOfSquares(x) -> number, for an x of any length.
Napi::Value sumOfSquares(Args& args) {
  const int64_t count = typedArrayLength(args.info(), 0);
  const float* x = args.readFloat32(0, "x", count, "x.length");
  return Napi::Number::New(args.env(), kernels::sumOfSquares(count, x));
}

// scaleInPlace(factor, x), for an x of any length.
Napi::Value scaleInPlace(Args& args) {
  const Napi::Value factorValue = args.info()[0];
  if (!factorValue.IsNumber()) {
    args.throwTypeError(std::string("factor must be a number, got ") + describeJsType(factorValue));
  }
  const double factor = factorValue.As<Napi::Number>().DoubleValue();
  if (!(factor >= -kFloatMax && factor <= kFloatMax)) {
    std::ostringstream message;
    message << "factor must be a finite float32 number, got " << factor;
    args.throwRangeError(message.str());
  }
  const int64_t count = typedArrayLength(args.info(), 1);
  float* x = args.writeFloat32(1, "x", count, "x.length");
  kernels::scaleInPlace(count, static_cast<float>(factor), x);
  return args.env().Undefined();
}

}  // namespace

void registerOptimizerKernels(Napi::Env env, Napi::Object target) {
  exportFunctions(env, target,
                  {
                      {"sgdUpdate", sgdUpdate},
                      {"rmspropUpdate", rmspropUpdate},
                      {"adamUpdate", adamUpdate},
                      {"sumOfSquares", sumOfSquares},
                      {"scaleInPlace", scaleInPlace},
                  });
}

}  // namespace convkit::binding
