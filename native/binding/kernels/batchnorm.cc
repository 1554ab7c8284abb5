// addon.kernels.batchNorm*: batch normalization over the last axis, in training and inference.
#include "binding/args.h"
#include "binding/bindings.h"
#include "binding/kernels/kernels.h"
#include "kernels/batchnorm.h"

namespace convkit::binding {
namespace {

using kernels::BatchNormGeometry;

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

}  // namespace

void registerBatchNormKernels(Napi::Env env, Napi::Object target) {
  exportFunction(env, target, "batchNormTrainingForward", batchNormTrainingForward);
  exportFunction(env, target, "batchNormInferenceForward", batchNormInferenceForward);
  exportFunction(env, target, "batchNormBackward", batchNormBackward);
}

}  // namespace convkit::binding
