// Bindings of the GEMM-based kernels: gemm, conv2d, dense.
#include <string>

#include "binding/args.h"
#include "binding/bindings.h"
#include "binding/specs.h"
#include "kernels/conv2d.h"
#include "kernels/dense.h"
#include "kernels/gemm.h"

namespace convkit::binding {
namespace {

using kernels::Conv2dGeometry;
using kernels::DenseGeometry;

// gemm({ m, n, k, transA?, transB?, alpha?, beta?, activation?, activationAlpha?, packB? }, a, b,
// c, columnBias?): dense row-major operands; C = activation(alpha * op(A) op(B) + beta * C + bias).
// packB packs op(B) first and multiplies from the packed copy, the path layers take for weights.
Napi::Value gemm(const Napi::CallbackInfo& info) {
  Args args(info, "gemm");
  const Napi::Object params = args.object(0, "params");
  const int64_t m = args.integer(params, "m", 1);
  const int64_t n = args.integer(params, "n", 1);
  const int64_t k = args.integer(params, "k", 1);
  const bool transA = args.boolean(params, "transA", false);
  const bool transB = args.boolean(params, "transB", false);
  const Napi::Value alphaValue = params.Get("alpha");
  const Napi::Value betaValue = params.Get("beta");
  const float alpha = alphaValue.IsUndefined() ? 1.0f : static_cast<float>(args.number(params, "alpha", -3.4e38, 3.4e38));
  const float beta = betaValue.IsUndefined() ? 0.0f : static_cast<float>(args.number(params, "beta", -3.4e38, 3.4e38));
  const float* a = args.readFloat32(1, "a", args.product({m, k}, "m*k"), "m*k");
  const float* b = args.readFloat32(2, "b", args.product({k, n}, "k*n"), "k*n");
  float* c = args.writeFloat32(3, "c", args.product({m, n}, "m*n"), "m*n");
  const OutputActivation activation = readOutputActivation(args, params, "to be applied in the GEMM epilogue");
  kernels::GemmEpilogue epilogue{nullptr, activation.kind, activation.alpha};
  epilogue.columnBias = args.readOptionalFloat32(4, "columnBias", n, "n");
  const kernels::Transpose opA = transA ? kernels::Transpose::Yes : kernels::Transpose::No;
  const kernels::Transpose opB = transB ? kernels::Transpose::Yes : kernels::Transpose::No;
  if (args.boolean(params, "packB", false)) {
    thread_local kernels::PackedB packed;
    kernels::packB(opB, k, n, b, transB ? k : n, packed);
    kernels::gemmPackedB(opA, m, alpha, a, transA ? m : k, packed, beta, c, n, epilogue);
  } else {
    kernels::gemm(opA, opB, m, n, k, alpha, a, transA ? m : k, b, transB ? k : n, beta, c, n, epilogue);
  }
  return info.Env().Undefined();
}

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

void registerLinearKernels(Napi::Env env, Napi::Object exports) {
  exportFunction(env, exports, "gemm", gemm);
  exportFunction(env, exports, "conv2dGeometry", conv2dGeometry);
  exportFunction(env, exports, "conv2dForward", conv2dForward);
  exportFunction(env, exports, "conv2dBackwardInput", conv2dBackwardInput);
  exportFunction(env, exports, "conv2dBackwardParams", conv2dBackwardParams);
  exportFunction(env, exports, "conv2dBackward", conv2dBackward);
  exportFunction(env, exports, "denseForward", denseForward);
  exportFunction(env, exports, "denseBackwardInput", denseBackwardInput);
  exportFunction(env, exports, "denseBackwardParams", denseBackwardParams);
}

}  // namespace convkit::binding
