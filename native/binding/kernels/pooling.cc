// addon.kernels: the pooling kernels, windowed and global, max and average.
#include <algorithm>
#include <string>

#include "binding/args.h"
#include "binding/bindings.h"
#include "binding/kernels/kernels.h"
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

// The geometry of a call that records or reads max pooling's winners: one whose windows
// maxPoolRecordsWinners accepts.
Pool2dGeometry readWinnersGeometry(Args& args) {
  const Pool2dGeometry g = readPool2dGeometry(args, args.object(0, "params"), true);
  if (!kernels::maxPoolRecordsWinners(g)) {
    const std::string pool = std::to_string(g.poolHeight) + "x" + std::to_string(g.poolWidth);
    if (g.strideHeight != g.poolHeight || g.strideWidth != g.poolWidth) {
      args.throwRangeError("winners are recorded only for windows that neither overlap nor leave gaps: strides (" +
                           std::to_string(g.strideHeight) + "x" + std::to_string(g.strideWidth) +
                           ") must equal the pool (" + pool + ")");
    }
    args.throwRangeError("winners are recorded only for windows of at most " +
                         std::to_string(kernels::kWinnerIndexMask + 1) + " pixels, got " + pool);
  }
  return g;
}

// maxPool2dForwardRecordingWinners(params, input, output, winners)
Napi::Value maxPool2dForwardRecordingWinners(const Napi::CallbackInfo& info) {
  Args args(info, "maxPool2dForwardRecordingWinners");
  const Pool2dGeometry g = readWinnersGeometry(args);
  const float* input = args.readFloat32(1, "input", inputSize(g), kInputShape);
  float* output = args.writeFloat32(2, "output", outputSize(g), kOutputShape);
  uint8_t* winners = args.writeUint8(3, "winners", outputSize(g), kOutputShape);
  kernels::maxPool2dForwardRecordingWinners(g, input, output, winners);
  return info.Env().Undefined();
}

// Rejects winner bytes that name no pixel of their window (the window's part inside the input), which
// would silently drop their gradient: winners must come from maxPool2dForwardRecordingWinners.
void checkWinners(Args& args, const Pool2dGeometry& g, const uint8_t* winners) {
  // The number of window rows (columns) inside the input at output row (column) `out`.
  const auto extent = [](int64_t out, int64_t stride, int64_t pad, int64_t pool, int64_t in) {
    const int64_t start = out * stride - pad;
    return std::min(start + pool, in) - std::max<int64_t>(start, 0);
  };
  int64_t i = 0;
  for (int64_t n = 0; n < g.batch; ++n) {
    for (int64_t oy = 0; oy < g.outHeight; ++oy) {
      const int64_t rows = extent(oy, g.strideHeight, g.padTop, g.poolHeight, g.inHeight);
      for (int64_t ox = 0; ox < g.outWidth; ++ox) {
        const int64_t pixels = rows * extent(ox, g.strideWidth, g.padLeft, g.poolWidth, g.inWidth);
        for (int64_t c = 0; c < g.channels; ++c, ++i) {
          const int64_t index = winners[i] & kernels::kWinnerIndexMask;
          if (index >= pixels) {
            args.throwRangeError("winners[" + std::to_string(i) + "] names pixel " + std::to_string(index) +
                                 " of a window of " + std::to_string(pixels) +
                                 " pixels (winners must come from maxPool2dForwardRecordingWinners)");
          }
        }
      }
    }
  }
}

// maxPool2dBackwardFromWinners(params (with activation?, activationAlpha? as maxPool2dBackward),
// winners, gradOutput, gradInput)
Napi::Value maxPool2dBackwardFromWinners(const Napi::CallbackInfo& info) {
  Args args(info, "maxPool2dBackwardFromWinners");
  const Pool2dGeometry g = readWinnersGeometry(args);
  const OutputActivation activation = readOutputActivation(args, args.object(0, "params"), "to have its derivative applied by max pooling");
  const uint8_t* winners = args.readUint8(1, "winners", outputSize(g), kOutputShape);
  checkWinners(args, g, winners);
  const float* gradOutput = args.readFloat32(2, "gradOutput", outputSize(g), kOutputShape);
  float* gradInput = args.writeFloat32(3, "gradInput", inputSize(g), kInputShape);
  kernels::maxPool2dBackwardFromWinners(g, winners, gradOutput, gradInput, activation.kind, activation.alpha);
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

void registerPoolingKernels(Napi::Env env, Napi::Object target) {
  exportFunction(env, target, "pool2dGeometry", pool2dGeometry);
  exportFunction(env, target, "maxPool2dForward", maxPool2dForward);
  exportFunction(env, target, "maxPool2dBackward", maxPool2dBackward);
  exportFunction(env, target, "maxPool2dForwardRecordingWinners", maxPool2dForwardRecordingWinners);
  exportFunction(env, target, "maxPool2dBackwardFromWinners", maxPool2dBackwardFromWinners);
  exportFunction(env, target, "avgPool2dForward", avgPool2dForward);
  exportFunction(env, target, "avgPool2dBackward", avgPool2dBackward);
  exportFunction(env, target, "globalAvgPool2dForward", globalAvgPool2dForward);
  exportFunction(env, target, "globalAvgPool2dBackward", globalAvgPool2dBackward);
  exportFunction(env, target, "globalMaxPool2dForward", globalMaxPool2dForward);
  exportFunction(env, target, "globalMaxPool2dBackward", globalMaxPool2dBackward);
}

}  // namespace convkit::binding
