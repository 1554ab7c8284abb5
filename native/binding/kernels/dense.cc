// addon.kernels.dense*: a fully connected layer's forward and backward passes.
#include "binding/args.h"
#include "binding/bindings.h"
#include "binding/kernels/kernels.h"
#include "binding/specs.h"
#include "kernels/dense.h"

namespace convkit::binding {
namespace {

using kernels::DenseGeometry;

struct DenseCall {
  DenseGeometry g;
  Extent input, output, kernel, bias;  // each also the extent of its gradient
};

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

// denseForward(params (with activation?, activationAlpha?), input, kernel, bias | null, output)
Napi::Value denseForward(Args& args) {
  const DenseCall c = readDenseCall(args);
  const OutputActivation activation =
      readOutputActivation(args, args.object(0, "params"), "to be applied in the GEMM epilogue");
  const auto [input, kernel, bias, output] = readArrays(args, 1, In{"input", c.input}, In{"kernel", c.kernel},
                                                        In{"bias", c.bias, Pass::Optional}, Out{"output", c.output});
  kernels::denseForward(c.g, input, kernel, bias, output, activation.kind, activation.alpha);
  return args.env().Undefined();
}

// denseBackwardInput(params, gradOutput, kernel, gradInput)
Napi::Value denseBackwardInput(Args& args) {
  const DenseCall c = readDenseCall(args);
  const auto [gradOutput, kernel, gradInput] =
      readArrays(args, 1, In{"gradOutput", c.output}, In{"kernel", c.kernel}, Out{"gradInput", c.input});
  kernels::denseBackwardInput(c.g, gradOutput, kernel, gradInput);
  return args.env().Undefined();
}

// denseBackwardParams(params, input, gradOutput, gradKernel, gradBias | null)
Napi::Value denseBackwardParams(Args& args) {
  const DenseCall c = readDenseCall(args);
  const auto [input, gradOutput, gradKernel, gradBias] =
      readArrays(args, 1, In{"input", c.input}, In{"gradOutput", c.output}, Out{"gradKernel", c.kernel},
                 Out{"gradBias", c.bias, Pass::Optional});
  kernels::denseBackwardParams(c.g, input, gradOutput, gradKernel, gradBias);
  return args.env().Undefined();
}

}  // namespace

void registerDenseKernels(Napi::Env env, Napi::Object target) {
  exportFunctions(env, target, {
      {"denseForward", denseForward},
      {"denseBackwardInput", denseBackwardInput},
      {"denseBackwardParams", denseBackwardParams},
  });
}

}  // namespace convkit::binding
