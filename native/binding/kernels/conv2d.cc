// addon.kernels.conv2d*: convolution over NHWC input with a Keras-layout kernel; forward and the
// separate backward passes as dense's (WeightedLayer).
#include "binding/args.h"
#include "binding/bindings.h"
#include "binding/kernels/kernels.h"
#include "binding/specs.h"
#include "kernels/conv2d.h"

namespace convkit::binding {
namespace {

using kernels::Conv2dGeometry;

using Conv2dCall = WeightedCall<Conv2dGeometry>;

Conv2dCall readConv2dCall(Args& args) {
  const Conv2dGeometry g = readConv2dGeometry(args, args.object(0, "params"), true);
  return {g,
          {g.batch * g.inHeight * g.inWidth * g.inChannels, "batch*inHeight*inWidth*inChannels"},
          {g.batch * g.outHeight * g.outWidth * g.outChannels, "batch*outHeight*outWidth*outChannels"},
          {g.kernelHeight * g.kernelWidth * g.inChannels * g.outChannels,
           "kernelHeight*kernelWidth*inChannels*outChannels"},
          {g.outChannels, "outChannels"}};
}

// conv2dGeometry(params) -> { outHeight, outWidth, padTop, padBottom, padLeft, padRight }
Napi::Value conv2dGeometry(Args& args) {
  return conv2dGeometryObject(args.env(), readConv2dCall(args).g);
}

using Conv2d = WeightedLayer<Conv2dGeometry, readConv2dCall>;

// conv2dBackward(params, input, gradOutput, kernel, gradInput | null, gradKernel, gradBias | null):
// conv2dBackwardInput and conv2dBackwardParams in one call, as training runs them.
Napi::Value conv2dBackward(Args& args) {
  const Conv2dCall c = readConv2dCall(args);
  const auto [input, gradOutput, kernel, gradInput, gradKernel, gradBias] = readArrays(
      args, 1, In{"input", c.input}, In{"gradOutput", c.output}, In{"kernel", c.kernel},
      Out{"gradInput", c.input, Pass::Optional}, Out{"gradKernel", c.kernel}, Out{"gradBias", c.bias, Pass::Optional});
  kernels::conv2dBackward(c.g, input, gradOutput, kernel, gradInput, gradKernel, gradBias);
  return args.env().Undefined();
}

}  // namespace

void registerConv2dKernels(Napi::Env env, Napi::Object target) {
  exportFunctions(env, target,
                  {
                      {"conv2dGeometry", conv2dGeometry},
                      {"conv2dForward", Conv2d::forward<kernels::conv2dForward>},
                      {"conv2dBackwardInput", Conv2d::backwardInput<kernels::conv2dBackwardInput>},
                      {"conv2dBackwardParams", Conv2d::backwardParams<kernels::conv2dBackwardParams>},
                      {"conv2dBackward", conv2dBackward},
                  });
}

}  // namespace convkit::binding
