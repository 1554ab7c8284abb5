// Bindings of the training kernels: dropout, batch normalization, optimizer updates.
#include <sstream>
#include <string>

#include "binding/args.h"
#include "binding/bindings.h"
#include "kernels/batchnorm.h"
#include "kernels/dropout.h"
#include "kernels/optimizer.h"

namespace convkit::binding {
namespace {

using kernels::BatchNormGeometry;

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
float floatIn(const Args& args, const Napi::Object& params, const char* field, Interval interval) {
  const double number = args.number(params, field, interval.min, interval.max);
  const float value = static_cast<float>(number);
  if ((interval.openMin && value <= interval.min) || (interval.openMax && value >= interval.max)) {
    std::ostringstream message;
    message << field << " must be a finite number in " << (interval.openMin ? '(' : '[')
            << interval.min << ", " << interval.max << (interval.openMax ? ')' : ']') << ", got "
            << number;
    if (static_cast<double>(value) != number) message << " (" << value << " as float32)";
    args.throwRangeError(message.str());
  }
  return value;
}

// As floatIn; `fallback` when the property is undefined.
float optionalFloatIn(const Args& args, const Napi::Object& params, const char* field,
                      float fallback, Interval interval) {
  return params.Get(field).IsUndefined() ? fallback : floatIn(args, params, field, interval);
}

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

// dropoutForward({ count, rate, seed }, x, y, mask): y may be x.
Napi::Value dropoutForward(const Napi::CallbackInfo& info) {
  Args args(info, "dropoutForward");
  const Napi::Object params = args.object(0, "params");
  const int64_t count = args.integer(params, "count", 1);
  const float rate = floatIn(args, params, "rate", kUnitBelowOne);
  const int64_t seed = args.integer(params, "seed", 0, kMaxSafeInteger);
  const float* x = args.readFloat32(1, "x", count, "count");
  float* y = args.writeFloat32(2, "y", count, "count", Aliasing::MayBeInPlace);
  uint8_t* mask = args.writeUint8(3, "mask", count, "count");
  kernels::dropoutForward(count, rate, static_cast<uint64_t>(seed), x, y, mask);
  return info.Env().Undefined();
}

// dropoutBackward({ count, rate }, mask, gradY, gradX): gradX may be gradY.
Napi::Value dropoutBackward(const Napi::CallbackInfo& info) {
  Args args(info, "dropoutBackward");
  const Napi::Object params = args.object(0, "params");
  const int64_t count = args.integer(params, "count", 1);
  const float rate = floatIn(args, params, "rate", kUnitBelowOne);
  const uint8_t* mask = args.readUint8(1, "mask", count, "count");
  const float* gradY = args.readFloat32(2, "gradY", count, "count");
  float* gradX = args.writeFloat32(3, "gradX", count, "count", Aliasing::MayBeInPlace);
  kernels::dropoutBackward(count, rate, mask, gradY, gradX);
  return info.Env().Undefined();
}

// Reads { rows, channels, epsilon?, momentum? }; momentum only where the caller asks for it.
BatchNormGeometry readBatchNormGeometry(Args& args, bool withMomentum) {
  const Napi::Object params = args.object(0, "params");
  BatchNormGeometry g;
  g.rows = args.integer(params, "rows", 1);
  g.channels = args.integer(params, "channels", 1);
  args.product({g.rows, g.channels}, "rows*channels");
  g.epsilon = optionalFloatIn(args, params, "epsilon", g.epsilon, kPositive);
  if (withMomentum) g.momentum = optionalFloatIn(args, params, "momentum", g.momentum, kUnit);
  return g;
}

constexpr const char* kDataShape = "rows*channels";

// batchNormTrainingForward(params, x, gamma, beta, movingMean, movingVariance, y, savedMean,
// savedInvStd): movingMean and movingVariance are updated in place.
Napi::Value batchNormTrainingForward(const Napi::CallbackInfo& info) {
  Args args(info, "batchNormTrainingForward");
  const BatchNormGeometry g = readBatchNormGeometry(args, true);
  const int64_t size = g.rows * g.channels;
  const float* x = args.readFloat32(1, "x", size, kDataShape);
  const float* gamma = args.readFloat32(2, "gamma", g.channels, "channels");
  const float* beta = args.readFloat32(3, "beta", g.channels, "channels");
  float* movingMean = args.writeFloat32(4, "movingMean", g.channels, "channels");
  float* movingVariance = args.writeFloat32(5, "movingVariance", g.channels, "channels");
  float* y = args.writeFloat32(6, "y", size, kDataShape);
  float* savedMean = args.writeFloat32(7, "savedMean", g.channels, "channels");
  float* savedInvStd = args.writeFloat32(8, "savedInvStd", g.channels, "channels");
  kernels::batchNormTrainingForward(g, x, gamma, beta, movingMean, movingVariance, y, savedMean,
                                    savedInvStd);
  return info.Env().Undefined();
}

// batchNormInferenceForward(params, x, gamma, beta, movingMean, movingVariance, y)
Napi::Value batchNormInferenceForward(const Napi::CallbackInfo& info) {
  Args args(info, "batchNormInferenceForward");
  const BatchNormGeometry g = readBatchNormGeometry(args, false);
  const int64_t size = g.rows * g.channels;
  const float* x = args.readFloat32(1, "x", size, kDataShape);
  const float* gamma = args.readFloat32(2, "gamma", g.channels, "channels");
  const float* beta = args.readFloat32(3, "beta", g.channels, "channels");
  const float* movingMean = args.readFloat32(4, "movingMean", g.channels, "channels");
  const float* movingVariance = args.readFloat32(5, "movingVariance", g.channels, "channels");
  float* y = args.writeFloat32(6, "y", size, kDataShape);
  kernels::batchNormInferenceForward(g, x, gamma, beta, movingMean, movingVariance, y);
  return info.Env().Undefined();
}

// batchNormBackward(params, x, gamma, savedMean, savedInvStd, gradY, gradX, gradGamma, gradBeta)
Napi::Value batchNormBackward(const Napi::CallbackInfo& info) {
  Args args(info, "batchNormBackward");
  const BatchNormGeometry g = readBatchNormGeometry(args, false);
  const int64_t size = g.rows * g.channels;
  const float* x = args.readFloat32(1, "x", size, kDataShape);
  const float* gamma = args.readFloat32(2, "gamma", g.channels, "channels");
  const float* savedMean = args.readFloat32(3, "savedMean", g.channels, "channels");
  const float* savedInvStd = args.readFloat32(4, "savedInvStd", g.channels, "channels");
  const float* gradY = args.readFloat32(5, "gradY", size, kDataShape);
  float* gradX = args.writeFloat32(6, "gradX", size, kDataShape);
  float* gradGamma = args.writeFloat32(7, "gradGamma", g.channels, "channels");
  float* gradBeta = args.writeFloat32(8, "gradBeta", g.channels, "channels");
  kernels::batchNormBackward(g, x, gamma, savedMean, savedInvStd, gradY, gradX, gradGamma,
                             gradBeta);
  return info.Env().Undefined();
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

void registerTrainingKernels(Napi::Env env, Napi::Object exports) {
  exportFunction(env, exports, "dropoutForward", dropoutForward);
  exportFunction(env, exports, "dropoutBackward", dropoutBackward);
  exportFunction(env, exports, "batchNormTrainingForward", batchNormTrainingForward);
  exportFunction(env, exports, "batchNormInferenceForward", batchNormInferenceForward);
  exportFunction(env, exports, "batchNormBackward", batchNormBackward);
  exportFunction(env, exports, "sgdUpdate", sgdUpdate);
  exportFunction(env, exports, "rmspropUpdate", rmspropUpdate);
  exportFunction(env, exports, "adamUpdate", adamUpdate);
  exportFunction(env, exports, "sumOfSquares", sumOfSquares);
  exportFunction(env, exports, "scaleInPlace", scaleInPlace);
}

}  // namespace convkit::binding
