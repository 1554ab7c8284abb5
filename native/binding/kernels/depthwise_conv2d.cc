// addon.kernels.depthwiseConv2d*: depthwise convolution over NHWC input with a Keras-layout kernel
// [kh, kw, C, M]; forward and the separate backward passes as conv2d's (WeightedLayer).
#include "binding/args.h"
#include "binding/bindings.h"
#include "binding/kernels/kernels.h"
#include "binding/specs.h"
#include "kernels/depthwise_conv2d.h"

namespace convkit::binding {
namespace {

using kernels::Conv2dGeometry;

WeightedCall<Conv2dGeometry> readDepthwiseConv2dCall(Args& args) {
  const Conv2dGeometry g = readDepthwiseConv2dGeometry(args, args.object(0, "params"), true);
  return {g,
          {g.batch * g.inHeight * g.inWidth * g.inChannels, "batch*inHeight*inWidth*inChannels"},
          {g.batch * g.outHeight * g.outWidth * g.outChannels, "batch*outHeight*outWidth*inChannels*depthMultiplier"},
          {g.kernelHeight * g.kernelWidth * g.outChannels, "kernelHeight*kernelWidth*inChannels*depthMultiplier"},
          {g.outChannels, "inChannels*depthMultiplier"}};
}

using DepthwiseConv2d = WeightedLayer<Conv2dGeometry, readDepthwiseConv2dCall>;

}  // namespace

void registerDepthwiseConv2dKernels(Napi::Env env, Napi::Object target) {
  exportFunctions(
      env, target,
      {
          {"depthwiseConv2dForward", DepthwiseConv2d::forward<kernels::depthwiseConv2dForward>},
          {"depthwiseConv2dBackwardInput", DepthwiseConv2d::backwardInput<kernels::depthwiseConv2dBackwardInput>},
          {"depthwiseConv2dBackwardParams", DepthwiseConv2d::backwardParams<kernels::depthwiseConv2dBackwardParams>},
      });
}

}  // namespace convkit::binding
