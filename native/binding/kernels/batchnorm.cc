// addon.kernels.batchNorm*: batch normalization over the last axis, in training and inference.
#include "binding/args.h"
#include "binding/bindings.h"
#include "binding/kernels/kernels.h"
#include "kernels/batchnorm.h"

namespace convkit::binding {
namespace {

using kernels::BatchNormGeometry;

struct BatchNormCall {
  BatchNormGeometry g;
  Extent data;      // x, y and their gradients
  Extent channels;  // gamma, beta, the moving and saved statistics
};

// Reads { rows, channels, epsilon?, momentum? }; momentum only where the caller asks for it.
BatchNormCall readBatchNormCall(Args& args, bool withMomentum) {
  const Napi::Object params = args.object(0, "params");
  BatchNormGeometry g;
  g.rows = args.integer(params, "rows", 1);
  g.channels = args.integer(params, "channels", 1);
  const int64_t size = args.product({g.rows, g.channels}, "rows*channels");
  g.epsilon = optionalFloatIn(args, params, "epsilon", g.epsilon, kPositive);
  if (withMomentum) g.momentum = optionalFloatIn(args, params, "momentum", g.momentum, kUnit);
  return {g, {size, "rows*channels"}, {g.channels, "channels"}};
}

// batchNormTrainingForward(params, x, gamma, beta, movingMean, movingVariance, y, savedMean,
// savedInvStd): movingMean and movingVariance are updated in place.
Napi::Value batchNormTrainingForward(Args& args) {
  const BatchNormCall c = readBatchNormCall(args, true);
  const auto [x, gamma, beta, movingMean, movingVariance, y, savedMean, savedInvStd] =
      readArrays(args, 1, In{"x", c.data}, In{"gamma", c.channels}, In{"beta", c.channels},
                 Out{"movingMean", c.channels}, Out{"movingVariance", c.channels}, Out{"y", c.data},
                 Out{"savedMean", c.channels}, Out{"savedInvStd", c.channels});
  kernels::batchNormTrainingForward(c.g, x, gamma, beta, movingMean, movingVariance, y, savedMean, savedInvStd);
  return args.env().Undefined();
}

// batchNormInferenceForward(params, x, gamma, beta, movingMean, movingVariance, y)
Napi::Value batchNormInferenceForward(Args& args) {
  const BatchNormCall c = readBatchNormCall(args, false);
  const auto [x, gamma, beta, movingMean, movingVariance, y] =
      readArrays(args, 1, In{"x", c.data}, In{"gamma", c.channels}, In{"beta", c.channels},
                 In{"movingMean", c.channels}, In{"movingVariance", c.channels}, Out{"y", c.data});
  kernels::batchNormInferenceForward(c.g, x, gamma, beta, movingMean, movingVariance, y);
  return args.env().Undefined();
}

// batchNormBackward(params, x, gamma, savedMean, savedInvStd, gradY, gradX, gradGamma, gradBeta)
Napi::Value batchNormBackward(Args& args) {
  const BatchNormCall c = readBatchNormCall(args, false);
  const auto [x, gamma, savedMean, savedInvStd, gradY, gradX, gradGamma, gradBeta] = readArrays(
      args, 1, In{"x", c.data}, In{"gamma", c.channels}, In{"savedMean", c.channels}, In{"savedInvStd", c.channels},
      In{"gradY", c.data}, Out{"gradX", c.data}, Out{"gradGamma", c.channels}, Out{"gradBeta", c.channels});
  kernels::batchNormBackward(c.g, x, gamma, savedMean, savedInvStd, gradY, gradX, gradGamma, gradBeta);
  return args.env().Undefined();
}

}  // namespace

void registerBatchNormKernels(Napi::Env env, Napi::Object target) {
  exportFunctions(env, target,
                  {
                      {"batchNormTrainingForward", batchNormTrainingForward},
                      {"batchNormInferenceForward", batchNormInferenceForward},
                      {"batchNormBackward", batchNormBackward},
                  });
}

}  // namespace convkit::binding
