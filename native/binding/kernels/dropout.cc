// addon.kernels.dropout*: inverted dropout with a mask drawn from a seed.
#include "binding/args.h"
#include "binding/bindings.h"
#include "binding/kernels/kernels.h"
#include "kernels/dropout.h"

namespace convkit::binding {
namespace {

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

}  // namespace

void registerDropoutKernels(Napi::Env env, Napi::Object target) {
  exportFunction(env, target, "dropoutForward", dropoutForward);
  exportFunction(env, target, "dropoutBackward", dropoutBackward);
}

}  // namespace convkit::binding
