// Bindings of the pooling kernels: windowed and global, max and average.
#include <string>

#include "binding/args.h"
#include "binding/bindings.h"
#include "binding/specs.h"
#include "kernels/geometry.h"
#include "kernels/pooling.h"

namespace convkit::binding {
namespace {

using kernels::Pool2dGeometry;

int64_t inputSize(const Pool2dGeometry& g) {
  return g.batch * g.inHeight * g.inWidth * g.channels;
}
int64_t outputSize(const Pool2dGeometry& g) {
  return g.batch * g.outHeight * g.outWidth * g.channels;
}

constexpr const char* kInputShape = "batch*inHeight*inWidth*channels";
constexpr const char* kOutputShape = "batch*outHeight*outWidth*channels";

// pool2dGeometry(params) -> { outHeight, outWidth, padTop, padBottom, padLeft, padRight }
Napi::Value pool2dGeometry(const Napi::CallbackInfo& info) {
  Args args(info, "pool2dGeometry");
  return pool2dGeometryObject(info.Env(), readPool2dGeometry(args, args.object(0, "params"), true));
}

// maxPool2dForward(params, input, output)
Napi::Value maxPool2dForward(const Napi::CallbackInfo& info) {
  Args args(info, "maxPool2dForward");
  const Pool2dGeometry g = readPool2dGeometry(args, args.object(0, "params"), true);
  const float* input = args.readFloat32(1, "input", inputSize(g), kInputShape);
  float* output = args.writeFloat32(2, "output", outputSize(g), kOutputShape);
  kernels::maxPool2dForward(g, input, output);
  return info.Env().Undefined();
}

// maxPool2dBackward(params (with activation?, activationAlpha?: what produced input, whose
// derivative to apply), input, gradOutput, gradInput)
Napi::Value maxPool2dBackward(const Napi::CallbackInfo& info) {
  Args args(info, "maxPool2dBackward");
  const Pool2dGeometry g = readPool2dGeometry(args, args.object(0, "params"), true);
  const OutputActivation activation = readOutputActivation(args, args.object(0, "params"), "to have its derivative applied by max pooling");
  const float* input = args.readFloat32(1, "input", inputSize(g), kInputShape);
  const float* gradOutput = args.readFloat32(2, "gradOutput", outputSize(g), kOutputShape);
  float* gradInput = args.writeFloat32(3, "gradInput", inputSize(g), kInputShape);
  kernels::maxPool2dBackward(g, input, gradOutput, gradInput, activation.kind, activation.alpha);
  return info.Env().Undefined();
}

// avgPool2dForward(params, input, output)
Napi::Value avgPool2dForward(const Napi::CallbackInfo& info) {
  Args args(info, "avgPool2dForward");
  const Pool2dGeometry g = readPool2dGeometry(args, args.object(0, "params"), true);
  const float* input = args.readFloat32(1, "input", inputSize(g), kInputShape);
  float* output = args.writeFloat32(2, "output", outputSize(g), kOutputShape);
  kernels::avgPool2dForward(g, input, output);
  return info.Env().Undefined();
}

// avgPool2dBackward(params, gradOutput, gradInput)
Napi::Value avgPool2dBackward(const Napi::CallbackInfo& info) {
  Args args(info, "avgPool2dBackward");
  const Pool2dGeometry g = readPool2dGeometry(args, args.object(0, "params"), true);
  const float* gradOutput = args.readFloat32(1, "gradOutput", outputSize(g), kOutputShape);
  float* gradInput = args.writeFloat32(2, "gradInput", inputSize(g), kInputShape);
  kernels::avgPool2dBackward(g, gradOutput, gradInput);
  return info.Env().Undefined();
}

struct GlobalPoolGeometry {
  int64_t batch, height, width, channels;
};

// Reads { batch, height, width, channels }.
GlobalPoolGeometry readGlobalPoolGeometry(Args& args, size_t index) {
  const Napi::Object params = args.object(index, "params");
  GlobalPoolGeometry g;
  g.batch = args.integer(params, "batch", 1);
  g.height = args.integer(params, "height", 1);
  g.width = args.integer(params, "width", 1);
  g.channels = args.integer(params, "channels", 1);
  args.product({g.batch, g.height, g.width, g.channels}, "input");
  return g;
}

int64_t inputSize(const GlobalPoolGeometry& g) {
  return g.batch * g.height * g.width * g.channels;
}
int64_t outputSize(const GlobalPoolGeometry& g) { return g.batch * g.channels; }

constexpr const char* kGlobalInputShape = "batch*height*width*channels";
constexpr const char* kGlobalOutputShape = "batch*channels";

// globalAvgPool2dForward(params, input, output)
Napi::Value globalAvgPool2dForward(const Napi::CallbackInfo& info) {
  Args args(info, "globalAvgPool2dForward");
  const GlobalPoolGeometry g = readGlobalPoolGeometry(args, 0);
  const float* input = args.readFloat32(1, "input", inputSize(g), kGlobalInputShape);
  float* output = args.writeFloat32(2, "output", outputSize(g), kGlobalOutputShape);
  kernels::globalAvgPool2dForward(g.batch, g.height, g.width, g.channels, input, output);
  return info.Env().Undefined();
}

// globalAvgPool2dBackward(params, gradOutput, gradInput)
Napi::Value globalAvgPool2dBackward(const Napi::CallbackInfo& info) {
  Args args(info, "globalAvgPool2dBackward");
  const GlobalPoolGeometry g = readGlobalPoolGeometry(args, 0);
  const float* gradOutput = args.readFloat32(1, "gradOutput", outputSize(g), kGlobalOutputShape);
  float* gradInput = args.writeFloat32(2, "gradInput", inputSize(g), kGlobalInputShape);
  kernels::globalAvgPool2dBackward(g.batch, g.height, g.width, g.channels, gradOutput, gradInput);
  return info.Env().Undefined();
}

// globalMaxPool2dForward(params, input, output)
Napi::Value globalMaxPool2dForward(const Napi::CallbackInfo& info) {
  Args args(info, "globalMaxPool2dForward");
  const GlobalPoolGeometry g = readGlobalPoolGeometry(args, 0);
  const float* input = args.readFloat32(1, "input", inputSize(g), kGlobalInputShape);
  float* output = args.writeFloat32(2, "output", outputSize(g), kGlobalOutputShape);
  kernels::globalMaxPool2dForward(g.batch, g.height, g.width, g.channels, input, output);
  return info.Env().Undefined();
}

// globalMaxPool2dBackward(params, input, gradOutput, gradInput)
Napi::Value globalMaxPool2dBackward(const Napi::CallbackInfo& info) {
  Args args(info, "globalMaxPool2dBackward");
  const GlobalPoolGeometry g = readGlobalPoolGeometry(args, 0);
  const float* input = args.readFloat32(1, "input", inputSize(g), kGlobalInputShape);
  const float* gradOutput = args.readFloat32(2, "gradOutput", outputSize(g), kGlobalOutputShape);
  float* gradInput = args.writeFloat32(3, "gradInput", inputSize(g), kGlobalInputShape);
  kernels::globalMaxPool2dBackward(g.batch, g.height, g.width, g.channels, input, gradOutput,
                                   gradInput);
  return info.Env().Undefined();
}

}  // namespace

void registerPoolingKernels(Napi::Env env, Napi::Object exports) {
  exportFunction(env, exports, "pool2dGeometry", pool2dGeometry);
  exportFunction(env, exports, "maxPool2dForward", maxPool2dForward);
  exportFunction(env, exports, "maxPool2dBackward", maxPool2dBackward);
  exportFunction(env, exports, "avgPool2dForward", avgPool2dForward);
  exportFunction(env, exports, "avgPool2dBackward", avgPool2dBackward);
  exportFunction(env, exports, "globalAvgPool2dForward", globalAvgPool2dForward);
  exportFunction(env, exports, "globalAvgPool2dBackward", globalAvgPool2dBackward);
  exportFunction(env, exports, "globalMaxPool2dForward", globalMaxPool2dForward);
  exportFunction(env, exports, "globalMaxPool2dBackward", globalMaxPool2dBackward);
}

}  // namespace convkit::binding
