// addon.kernels.dense*: a fully connected layer's forward and backward passes.
#include "binding/args.h"
#include "binding/bindings.h"
#include "binding/kernels/kernels.h"
#include "binding/specs.h"
#include "kernels/dense.h"

namespace convkit::binding {
namespace {

using kernels::DenseGeometry;

DenseGeometry readDenseGeometry(Args& args, size_t index) {
  const Napi::Object params = args.object(index, "params");
  DenseGeometry g;
  g.batch = args.integer(params, "batch", 1);
  g.inFeatures = args.integer(params, "inFeatures", 1);
  g.units = args.integer(params, "units", 1);
  args.product({g.batch, g.inFeatures}, "input");
  args.product({g.batch, g.units}, "output");
  args.product({g.inFeatures, g.units}, "kernel");
  return g;
}

// denseForward(params (with activation?, activationAlpha?), input, kernel, bias | null, output)
Napi::Value denseForward(const Napi::CallbackInfo& info) {
  Args args(info, "denseForward");
  const DenseGeometry g = readDenseGeometry(args, 0);
  const OutputActivation activation = readOutputActivation(args, args.object(0, "params"), "to be applied in the GEMM epilogue");
  const float* input = args.readFloat32(1, "input", g.batch * g.inFeatures, "batch*inFeatures");
  const float* kernel = args.readFloat32(2, "kernel", g.inFeatures * g.units, "inFeatures*units");
  const float* bias = args.readOptionalFloat32(3, "bias", g.units, "units");
  float* output = args.writeFloat32(4, "output", g.batch * g.units, "batch*units");
  kernels::denseForward(g, input, kernel, bias, output, activation.kind, activation.alpha);
  return info.Env().Undefined();
}

// denseBackwardInput(params, gradOutput, kernel, gradInput)
Napi::Value denseBackwardInput(const Napi::CallbackInfo& info) {
  Args args(info, "denseBackwardInput");
  const DenseGeometry g = readDenseGeometry(args, 0);
  const float* gradOutput = args.readFloat32(1, "gradOutput", g.batch * g.units, "batch*units");
  const float* kernel = args.readFloat32(2, "kernel", g.inFeatures * g.units, "inFeatures*units");
  float* gradInput = args.writeFloat32(3, "gradInput", g.batch * g.inFeatures, "batch*inFeatures");
  kernels::denseBackwardInput(g, gradOutput, kernel, gradInput);
  return info.Env().Undefined();
}

// denseBackwardParams(params, input, gradOutput, gradKernel, gradBias | null)
Napi::Value denseBackwardParams(const Napi::CallbackInfo& info) {
  Args args(info, "denseBackwardParams");
  const DenseGeometry g = readDenseGeometry(args, 0);
  const float* input = args.readFloat32(1, "input", g.batch * g.inFeatures, "batch*inFeatures");
  const float* gradOutput = args.readFloat32(2, "gradOutput", g.batch * g.units, "batch*units");
  float* gradKernel = args.writeFloat32(3, "gradKernel", g.inFeatures * g.units, "inFeatures*units");
  float* gradBias = args.writeOptionalFloat32(4, "gradBias", g.units, "units");
  kernels::denseBackwardParams(g, input, gradOutput, gradKernel, gradBias);
  return info.Env().Undefined();
}

}  // namespace

void registerDenseKernels(Napi::Env env, Napi::Object target) {
  exportFunction(env, target, "denseForward", denseForward);
  exportFunction(env, target, "denseBackwardInput", denseBackwardInput);
  exportFunction(env, target, "denseBackwardParams", denseBackwardParams);
}

}  // namespace convkit::binding
