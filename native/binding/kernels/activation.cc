// addon.kernels: the activation kernels and maxout.
#include "binding/args.h"
#include "binding/bindings.h"
#include "binding/kernels/kernels.h"
#include "binding/specs.h"
#include "kernels/activation.h"

namespace convkit::binding {
namespace {

struct ActivationCall {
  kernels::Activation kind;
  float alpha;
  int64_t rows, cols, count;
};

// { kind, alpha?, rows, cols }
ActivationCall readActivationCall(Args& args) {
  const Napi::Object params = args.object(0, "params");
  ActivationCall call{};
  call.kind = readActivation(args, params, "kind");
  call.alpha = params.Get("alpha").IsUndefined() ? 0.0f : static_cast<float>(args.number(params, "alpha", -1e6, 1e6));
  call.rows = args.integer(params, "rows", 1);
  call.cols = args.integer(params, "cols", 1);
  call.count = args.product({call.rows, call.cols}, "rows*cols");
  return call;
}

// activationForward(params, x, y): y may be x itself.
Napi::Value activationForward(const Napi::CallbackInfo& info) {
  Args args(info, "activationForward");
  const ActivationCall c = readActivationCall(args);
  const float* x = args.readFloat32(1, "x", c.count, "rows*cols");
  float* y = args.writeFloat32(2, "y", c.count, "rows*cols", Aliasing::MayBeInPlace);
  kernels::activationForward(c.kind, c.alpha, c.rows, c.cols, x, y);
  return info.Env().Undefined();
}

// activationBackward(params, x, y, gradY, gradX): gradX may be gradY itself.
Napi::Value activationBackward(const Napi::CallbackInfo& info) {
  Args args(info, "activationBackward");
  const ActivationCall c = readActivationCall(args);
  const float* x = args.readFloat32(1, "x", c.count, "rows*cols");
  const float* y = args.readFloat32(2, "y", c.count, "rows*cols");
  const float* gradY = args.readFloat32(3, "gradY", c.count, "rows*cols");
  float* gradX = args.writeFloat32(4, "gradX", c.count, "rows*cols", Aliasing::MayBeInPlace);
  if (gradX != gradY && (gradX == x || gradX == y)) args.throwRangeError("gradX may only share memory with gradY");
  kernels::activationBackward(c.kind, c.alpha, c.rows, c.cols, x, y, gradY, gradX);
  return info.Env().Undefined();
}

struct MaxoutCall {
  int64_t rows, units, pieces, inCount, outCount;
};

// { rows, units, pieces }
MaxoutCall readMaxoutCall(Args& args) {
  const Napi::Object params = args.object(0, "params");
  MaxoutCall call{};
  call.rows = args.integer(params, "rows", 1);
  call.units = args.integer(params, "units", 1);
  call.pieces = args.integer(params, "pieces", 1);
  call.inCount = args.product({call.rows, call.units, call.pieces}, "rows*units*pieces");
  call.outCount = call.rows * call.units;
  return call;
}

// maxoutForward(params, x, y)
Napi::Value maxoutForward(const Napi::CallbackInfo& info) {
  Args args(info, "maxoutForward");
  const MaxoutCall c = readMaxoutCall(args);
  const float* x = args.readFloat32(1, "x", c.inCount, "rows*units*pieces");
  float* y = args.writeFloat32(2, "y", c.outCount, "rows*units");
  kernels::maxoutForward(c.rows, c.units, c.pieces, x, y);
  return info.Env().Undefined();
}

// maxoutBackward(params, x, gradY, gradX)
Napi::Value maxoutBackward(const Napi::CallbackInfo& info) {
  Args args(info, "maxoutBackward");
  const MaxoutCall c = readMaxoutCall(args);
  const float* x = args.readFloat32(1, "x", c.inCount, "rows*units*pieces");
  const float* gradY = args.readFloat32(2, "gradY", c.outCount, "rows*units");
  float* gradX = args.writeFloat32(3, "gradX", c.inCount, "rows*units*pieces");
  kernels::maxoutBackward(c.rows, c.units, c.pieces, x, gradY, gradX);
  return info.Env().Undefined();
}

}  // namespace

void registerActivationKernels(Napi::Env env, Napi::Object target) {
  exportFunction(env, target, "activationForward", activationForward);
  exportFunction(env, target, "activationBackward", activationBackward);
  exportFunction(env, target, "maxoutForward", maxoutForward);
  exportFunction(env, target, "maxoutBackward", maxoutBackward);
}

}  // namespace convkit::binding
