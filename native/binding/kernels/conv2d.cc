// addon.kernels.conv2d*: convolution over NHWC input with a Keras-layout kernel.
#include "binding/args.h"
#include "binding/bindings.h"
#include "binding/kernels/kernels.h"
#include "binding/specs.h"
#include "kernels/conv2d.h"

namespace convkit::binding {
namespace {

using kernels::Conv2dGeometry;

int64_t inputSize(const Conv2dGeometry& g) {
  return g.batch * g.inHeight * g.inWidth * g.inChannels;
}
int64_t outputSize(const Conv2dGeometry& g) {
  return g.batch * g.outHeight * g.outWidth * g.outChannels;
}
int64_t kernelSize(const Conv2dGeometry& g) {
  return g.kernelHeight * g.kernelWidth * g.inChannels * g.outChannels;
}

constexpr const char* kInputShape = "batch*inHeight*inWidth*inChannels";
constexpr const char* kOutputShape = "batch*outHeight*outWidth*outChannels";
constexpr const char* kKernelShape = "kernelHeight*kernelWidth*inChannels*outChannels";

// conv2dGeometry(params) -> { outHeight, outWidth, padTop, padBottom, padLeft, padRight }
Napi::Value conv2dGeometry(const Napi::CallbackInfo& info) {
  Args args(info, "conv2dGeometry");
  const Conv2dGeometry g = readConv2dGeometry(args, args.object(0, "params"), true);
  return conv2dGeometryObject(info.Env(), g);
}

// conv2dForward(params (with activation?, activationAlpha?), input, kernel, bias | null, output)
Napi::Value conv2dForward(const Napi::CallbackInfo& info) {
  Args args(info, "conv2dForward");
  const Napi::Object params = args.object(0, "params");
  const Conv2dGeometry g = readConv2dGeometry(args, params, true);
  const OutputActivation activation = readOutputActivation(args, params, "to be applied in the GEMM epilogue");
  const float* input = args.readFloat32(1, "input", inputSize(g), kInputShape);
  const float* kernel = args.readFloat32(2, "kernel", kernelSize(g), kKernelShape);
  const float* bias = args.readOptionalFloat32(3, "bias", g.outChannels, "outChannels");
  float* output = args.writeFloat32(4, "output", outputSize(g), kOutputShape);
  kernels::conv2dForward(g, input, kernel, bias, output, activation.kind, activation.alpha);
  return info.Env().Undefined();
}

// conv2dBackwardInput(params, gradOutput, kernel, gradInput)
Napi::Value conv2dBackwardInput(const Napi::CallbackInfo& info) {
  Args args(info, "conv2dBackwardInput");
  const Conv2dGeometry g = readConv2dGeometry(args, args.object(0, "params"), true);
  const float* gradOutput = args.readFloat32(1, "gradOutput", outputSize(g), kOutputShape);
  const float* kernel = args.readFloat32(2, "kernel", kernelSize(g), kKernelShape);
  float* gradInput = args.writeFloat32(3, "gradInput", inputSize(g), kInputShape);
  kernels::conv2dBackwardInput(g, gradOutput, kernel, gradInput);
  return info.Env().Undefined();
}

// conv2dBackwardParams(params, input, gradOutput, gradKernel, gradBias | null)
Napi::Value conv2dBackwardParams(const Napi::CallbackInfo& info) {
  Args args(info, "conv2dBackwardParams");
  const Conv2dGeometry g = readConv2dGeometry(args, args.object(0, "params"), true);
  const float* input = args.readFloat32(1, "input", inputSize(g), kInputShape);
  const float* gradOutput = args.readFloat32(2, "gradOutput", outputSize(g), kOutputShape);
  float* gradKernel = args.writeFloat32(3, "gradKernel", kernelSize(g), kKernelShape);
  float* gradBias = args.writeOptionalFloat32(4, "gradBias", g.outChannels, "outChannels");
  kernels::conv2dBackwardParams(g, input, gradOutput, gradKernel, gradBias);
  return info.Env().Undefined();
}

// conv2dBackward(params, input, gradOutput, kernel, gradInput | null, gradKernel, gradBias | null):
// conv2dBackwardInput and conv2dBackwardParams in one call, as training runs them.
Napi::Value conv2dBackward(const Napi::CallbackInfo& info) {
  Args args(info, "conv2dBackward");
  const Conv2dGeometry g = readConv2dGeometry(args, args.object(0, "params"), true);
  const float* input = args.readFloat32(1, "input", inputSize(g), kInputShape);
  const float* gradOutput = args.readFloat32(2, "gradOutput", outputSize(g), kOutputShape);
  const float* kernel = args.readFloat32(3, "kernel", kernelSize(g), kKernelShape);
  float* gradInput = args.writeOptionalFloat32(4, "gradInput", inputSize(g), kInputShape);
  float* gradKernel = args.writeFloat32(5, "gradKernel", kernelSize(g), kKernelShape);
  float* gradBias = args.writeOptionalFloat32(6, "gradBias", g.outChannels, "outChannels");
  kernels::conv2dBackward(g, input, gradOutput, kernel, gradInput, gradKernel, gradBias);
  return info.Env().Undefined();
}

}  // namespace

void registerConv2dKernels(Napi::Env env, Napi::Object target) {
  exportFunction(env, target, "conv2dGeometry", conv2dGeometry);
  exportFunction(env, target, "conv2dForward", conv2dForward);
  exportFunction(env, target, "conv2dBackwardInput", conv2dBackwardInput);
  exportFunction(env, target, "conv2dBackwardParams", conv2dBackwardParams);
  exportFunction(env, target, "conv2dBackward", conv2dBackward);
}

}  // namespace convkit::binding
