// addon.kernels.dropout*: inverted dropout with a mask drawn from a seed.
#include "binding/args.h"
#include "binding/bindings.h"
#include "binding/kernels/kernels.h"
#include "kernels/dropout.h"

namespace convkit::binding {
namespace {

// dropoutForward({ count, rate, seed }, x, y, mask): y may be x.
Napi::Value dropoutForward(Args& args) {
  const Napi::Object params = args.object(0, "params");
  const int64_t count = args.integer(params, "count", 1);
  const float rate = floatIn(args, params, "rate", kUnitBelowOne);
  const int64_t seed = args.integer(params, "seed", 0, kMaxSafeInteger);
  const Extent n{count, "count"};
  const auto [x, y, mask] = readArrays(args, 1, In{"x", n}, Out{"y", n, Pass::InPlace}, OutUint8{"mask", n});
  kernels::dropoutForward(count, rate, static_cast<uint64_t>(seed), x, y, mask);
  return args.env().Undefined();
}

// dropoutBackward({ count, rate }, mask, gradY, gradX): gradX may be gradY.
Napi::Value dropoutBackward(Args& args) {
  const Napi::Object params = args.object(0, "params");
  const int64_t count = args.integer(params, "count", 1);
  const float rate = floatIn(args, params, "rate", kUnitBelowOne);
  const Extent n{count, "count"};
  const auto [mask, gradY, gradX] =
      readArrays(args, 1, InUint8{"mask", n}, In{"gradY", n}, Out{"gradX", n, Pass::InPlace});
  kernels::dropoutBackward(count, rate, mask, gradY, gradX);
  return args.env().Undefined();
}

}  // namespace

void registerDropoutKernels(Napi::Env env, Napi::Object target) {
  exportFunctions(env, target,
                  {
                      {"dropoutForward", dropoutForward},
                      {"dropoutBackward", dropoutBackward},
                  });
}

}  // namespace convkit::binding
