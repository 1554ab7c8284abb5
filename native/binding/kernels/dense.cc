// addon.kernels.dense*: a fully connected layer's forward and backward passes (WeightedLayer).
#include "binding/args.h"
#include "binding/bindings.h"
#include "binding/kernels/kernels.h"
#include "binding/specs.h"
#include "kernels/dense.h"

namespace convkit::binding {
namespace {

using kernels::DenseGeometry;

using DenseCall = WeightedCall<DenseGeometry>;

// { batch, inFeatures, units }
DenseCall readDenseCall(Args& args) {
  const Napi::Object params = args.object(0, "params");
  DenseGeometry g;
  g.batch = args.integer(params, "batch", 1);
  g.inFeatures = args.integer(params, "inFeatures", 1);
  g.units = args.integer(params, "units", 1);
  return {g,
          {args.product({g.batch, g.inFeatures}, "input"), "batch*inFeatures"},
          {args.product({g.batch, g.units}, "output"), "batch*units"},
          {args.product({g.inFeatures, g.units}, "kernel"), "inFeatures*units"},
          {g.units, "units"}};
}

using Dense = WeightedLayer<DenseGeometry, readDenseCall>;

}  // namespace

void registerDenseKernels(Napi::Env env, Napi::Object target) {
  exportFunctions(env, target,
                  {
                      {"denseForward", Dense::forward<kernels::denseForward>},
                      {"denseBackwardInput", Dense::backwardInput<kernels::denseBackwardInput>},
                      {"denseBackwardParams", Dense::backwardParams<kernels::denseBackwardParams>},
                  });
}

}  // namespace convkit::binding
