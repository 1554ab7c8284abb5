// Bindings of the pooling kernels: windowed and global, max and average.
#include <string>

#include "binding/args.h"
#include "binding/bindings.h"
#include "kernels/geometry.h"
#include "kernels/pooling.h"

namespace convkit::binding {
namespace {

using kernels::Pool2dGeometry;

// Reads { batch, inHeight, inWidth, channels, poolHeight, poolWidth, strideHeight?, strideWidth?,
// padding? } and derives the output size, rejecting windows that do not fit. Strides default to
// the pool size, as in Keras.
Pool2dGeometry readPool2dGeometry(Args& args, size_t index) {
  const Napi::Object params = args.object(index, "params");
  Pool2dGeometry g;
  g.batch = args.integer(params, "batch", 1);
  g.inHeight = args.integer(params, "inHeight", 1);
  g.inWidth = args.integer(params, "inWidth", 1);
  g.channels = args.integer(params, "channels", 1);
  g.poolHeight = args.integer(params, "poolHeight", 1, 1 << 20);
  g.poolWidth = args.integer(params, "poolWidth", 1, 1 << 20);
  auto optionalStride = [&](const char* field, int64_t fallback) {
    return params.Get(field).IsUndefined() ? fallback : args.integer(params, field, 1, 1 << 20);
  };
  g.strideHeight = optionalStride("strideHeight", g.poolHeight);
  g.strideWidth = optionalStride("strideWidth", g.poolWidth);
  int64_t pads[4] = {0, 0, 0, 0};
  const kernels::Padding padding = params.Get("padding").IsUndefined()
                                       ? kernels::Padding::Valid
                                       : args.padding(params, "padding", pads);
  if (padding == kernels::Padding::Explicit) {
    // A window lying entirely in the padding would have nothing to pool.
    static const char* const kNames[4] = {"top", "bottom", "left", "right"};
    for (int i = 0; i < 4; ++i) {
      const bool vertical = i < 2;
      const int64_t pool = vertical ? g.poolHeight : g.poolWidth;
      if (pads[i] >= pool) {
        args.throwRangeError("padding[" + std::to_string(i) + "] (" + kNames[i] +
                             ") must be smaller than " + (vertical ? "poolHeight" : "poolWidth") +
                             " (" + std::to_string(pool) + "), got " + std::to_string(pads[i]));
      }
    }
  }
  kernels::WindowAxis rows, cols;
  const bool fitsRows = kernels::windowAxis(g.inHeight, g.poolHeight, g.strideHeight, 1, padding,
                                            pads[0], pads[1], &rows);
  const bool fitsCols = kernels::windowAxis(g.inWidth, g.poolWidth, g.strideWidth, 1, padding,
                                            pads[2], pads[3], &cols);
  if (!fitsRows || !fitsCols) {
    args.throwRangeError("the pool window (" + std::to_string(g.poolHeight) + "x" +
                         std::to_string(g.poolWidth) + ") does not fit the padded input (" +
                         std::to_string(g.inHeight + rows.padBefore + rows.padAfter) + "x" +
                         std::to_string(g.inWidth + cols.padBefore + cols.padAfter) + ")");
  }
  g.outHeight = rows.outSize;
  g.outWidth = cols.outSize;
  g.padTop = rows.padBefore;
  g.padLeft = cols.padBefore;
  args.product({g.batch, g.inHeight, g.inWidth, g.channels}, "input");
  args.product({g.batch, g.outHeight, g.outWidth, g.channels}, "output");
  return g;
}

int64_t inputSize(const Pool2dGeometry& g) {
  return g.batch * g.inHeight * g.inWidth * g.channels;
}
int64_t outputSize(const Pool2dGeometry& g) {
  return g.batch * g.outHeight * g.outWidth * g.channels;
}

constexpr const char* kInputShape = "batch*inHeight*inWidth*channels";
constexpr const char* kOutputShape = "batch*outHeight*outWidth*channels";

// Padding the last window actually reaches past the input (as conv2dGeometry reports it): an
// explicit pad the stride never gets to is not used.
int64_t usedPadAfter(int64_t inSize, int64_t outSize, int64_t pool, int64_t stride,
                     int64_t padBefore) {
  const int64_t pad = (outSize - 1) * stride + pool - inSize - padBefore;
  return pad > 0 ? pad : 0;
}

// pool2dGeometry(params) -> { outHeight, outWidth, padTop, padBottom, padLeft, padRight }
Napi::Value pool2dGeometry(const Napi::CallbackInfo& info) {
  Args args(info, "pool2dGeometry");
  const Pool2dGeometry g = readPool2dGeometry(args, 0);
  const Napi::Env env = info.Env();
  auto number = [&](int64_t value) { return Napi::Number::New(env, static_cast<double>(value)); };
  Napi::Object result = Napi::Object::New(env);
  result.Set("outHeight", number(g.outHeight));
  result.Set("outWidth", number(g.outWidth));
  result.Set("padTop", number(g.padTop));
  result.Set("padBottom",
             number(usedPadAfter(g.inHeight, g.outHeight, g.poolHeight, g.strideHeight, g.padTop)));
  result.Set("padLeft", number(g.padLeft));
  result.Set("padRight",
             number(usedPadAfter(g.inWidth, g.outWidth, g.poolWidth, g.strideWidth, g.padLeft)));
  return result;
}

// maxPool2dForward(params, input, output)
Napi::Value maxPool2dForward(const Napi::CallbackInfo& info) {
  Args args(info, "maxPool2dForward");
  const Pool2dGeometry g = readPool2dGeometry(args, 0);
  const float* input = args.readFloat32(1, "input", inputSize(g), kInputShape);
  float* output = args.writeFloat32(2, "output", outputSize(g), kOutputShape);
  kernels::maxPool2dForward(g, input, output);
  return info.Env().Undefined();
}

// maxPool2dBackward(params, input, gradOutput, gradInput)
Napi::Value maxPool2dBackward(const Napi::CallbackInfo& info) {
  Args args(info, "maxPool2dBackward");
  const Pool2dGeometry g = readPool2dGeometry(args, 0);
  const float* input = args.readFloat32(1, "input", inputSize(g), kInputShape);
  const float* gradOutput = args.readFloat32(2, "gradOutput", outputSize(g), kOutputShape);
  float* gradInput = args.writeFloat32(3, "gradInput", inputSize(g), kInputShape);
  kernels::maxPool2dBackward(g, input, gradOutput, gradInput);
  return info.Env().Undefined();
}

// avgPool2dForward(params, input, output)
Napi::Value avgPool2dForward(const Napi::CallbackInfo& info) {
  Args args(info, "avgPool2dForward");
  const Pool2dGeometry g = readPool2dGeometry(args, 0);
  const float* input = args.readFloat32(1, "input", inputSize(g), kInputShape);
  float* output = args.writeFloat32(2, "output", outputSize(g), kOutputShape);
  kernels::avgPool2dForward(g, input, output);
  return info.Env().Undefined();
}

// avgPool2dBackward(params, gradOutput, gradInput)
Napi::Value avgPool2dBackward(const Napi::CallbackInfo& info) {
  Args args(info, "avgPool2dBackward");
  const Pool2dGeometry g = readPool2dGeometry(args, 0);
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
