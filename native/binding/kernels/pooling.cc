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

struct PoolCall {
  Pool2dGeometry g;
  Extent input, output;  // each also the extent of its gradient
};

PoolCall readPoolCall(Args& args) {
  const Pool2dGeometry g = readPool2dGeometry(args, args.object(0, "params"), true);
  return {g,
          {g.batch * g.inHeight * g.inWidth * g.channels, "batch*inHeight*inWidth*channels"},
          {g.batch * g.outHeight * g.outWidth * g.channels, "batch*outHeight*outWidth*channels"}};
}

// The activation (activation?, activationAlpha?) that produced max pooling's input, whose
// derivative its backward pass applies.
OutputActivation readInputActivation(Args& args) {
  return readOutputActivation(args, args.object(0, "params"), "to have its derivative applied by max pooling");
}

// pool2dGeometry(params) -> { outHeight, outWidth, padTop, padBottom, padLeft, padRight }
Napi::Value pool2dGeometry(Args& args) {
  return pool2dGeometryObject(args.env(), readPoolCall(args).g);
}

// maxPool2dForward and avgPool2dForward(params, input, output)
template <void (*kernel)(const Pool2dGeometry&, const float*, float*)>
Napi::Value poolForward(Args& args) {
  const PoolCall c = readPoolCall(args);
  const auto [input, output] = readArrays(args, 1, In{"input", c.input}, Out{"output", c.output});
  kernel(c.g, input, output);
  return args.env().Undefined();
}

// maxPool2dBackward(params (with activation?, activationAlpha?: what produced input, whose
// derivative to apply), input, gradOutput, gradInput)
Napi::Value maxPool2dBackward(Args& args) {
  const PoolCall c = readPoolCall(args);
  const OutputActivation activation = readInputActivation(args);
  const auto [input, gradOutput, gradInput] =
      readArrays(args, 1, In{"input", c.input}, In{"gradOutput", c.output}, Out{"gradInput", c.input});
  kernels::maxPool2dBackward(c.g, input, gradOutput, gradInput, activation.kind, activation.alpha);
  return args.env().Undefined();
}

// The call of a function that records or reads max pooling's winners: one whose windows
// maxPoolRecordsWinners accepts.
PoolCall readWinnersCall(Args& args) {
  const PoolCall c = readPoolCall(args);
  const Pool2dGeometry& g = c.g;
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
  return c;
}

// maxPool2dForwardRecordingWinners(params, input, output, winners)
Napi::Value maxPool2dForwardRecordingWinners(Args& args) {
  const PoolCall c = readWinnersCall(args);
  const auto [input, output, winners] =
      readArrays(args, 1, In{"input", c.input}, Out{"output", c.output}, OutUint8{"winners", c.output});
  kernels::maxPool2dForwardRecordingWinners(c.g, input, output, winners);
  return args.env().Undefined();
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
Napi::Value maxPool2dBackwardFromWinners(Args& args) {
  const PoolCall c = readWinnersCall(args);
  const OutputActivation activation = readInputActivation(args);
  const uint8_t* winners = readArray(args, 1, InUint8{"winners", c.output});
  checkWinners(args, c.g, winners);
  const auto [gradOutput, gradInput] = readArrays(args, 2, In{"gradOutput", c.output}, Out{"gradInput", c.input});
  kernels::maxPool2dBackwardFromWinners(c.g, winners, gradOutput, gradInput, activation.kind, activation.alpha);
  return args.env().Undefined();
}

// avgPool2dBackward(params, gradOutput, gradInput)
Napi::Value avgPool2dBackward(Args& args) {
  const PoolCall c = readPoolCall(args);
  const auto [gradOutput, gradInput] = readArrays(args, 1, In{"gradOutput", c.output}, Out{"gradInput", c.input});
  kernels::avgPool2dBackward(c.g, gradOutput, gradInput);
  return args.env().Undefined();
}

struct GlobalPoolCall {
  int64_t batch, height, width, channels;
  Extent input, output;  // each also the extent of its gradient
};

// Reads { batch, height, width, channels }.
GlobalPoolCall readGlobalPoolCall(Args& args) {
  const Napi::Object params = args.object(0, "params");
  GlobalPoolCall c;
  c.batch = args.integer(params, "batch", 1);
  c.height = args.integer(params, "height", 1);
  c.width = args.integer(params, "width", 1);
  c.channels = args.integer(params, "channels", 1);
  c.input = {args.product({c.batch, c.height, c.width, c.channels}, "input"), "batch*height*width*channels"};
  c.output = {c.batch * c.channels, "batch*channels"};
  return c;
}

// globalAvgPool2dForward and globalMaxPool2dForward(params, input, output)
template <void (*kernel)(int64_t, int64_t, int64_t, int64_t, const float*, float*)>
Napi::Value globalPoolForward(Args& args) {
  const GlobalPoolCall c = readGlobalPoolCall(args);
  const auto [input, output] = readArrays(args, 1, In{"input", c.input}, Out{"output", c.output});
  kernel(c.batch, c.height, c.width, c.channels, input, output);
  return args.env().Undefined();
}

// globalAvgPool2dBackward(params, gradOutput, gradInput)
Napi::Value globalAvgPool2dBackward(Args& args) {
  const GlobalPoolCall c = readGlobalPoolCall(args);
  const auto [gradOutput, gradInput] = readArrays(args, 1, In{"gradOutput", c.output}, Out{"gradInput", c.input});
  kernels::globalAvgPool2dBackward(c.batch, c.height, c.width, c.channels, gradOutput, gradInput);
  return args.env().Undefined();
}

// globalMaxPool2dBackward(params, input, gradOutput, gradInput)
Napi::Value globalMaxPool2dBackward(Args& args) {
  const GlobalPoolCall c = readGlobalPoolCall(args);
  const auto [input, gradOutput, gradInput] =
      readArrays(args, 1, In{"input", c.input}, In{"gradOutput", c.output}, Out{"gradInput", c.input});
  kernels::globalMaxPool2dBackward(c.batch, c.height, c.width, c.channels, input, gradOutput, gradInput);
  return args.env().Undefined();
}

}  // namespace

void registerPoolingKernels(Napi::Env env, Napi::Object target) {
  exportFunctions(env, target,
                  {
                      {"pool2dGeometry", pool2dGeometry},
                      {"maxPool2dForward", poolForward<kernels::maxPool2dForward>},
                      {"maxPool2dBackward", maxPool2dBackward},
                      {"maxPool2dForwardRecordingWinners", maxPool2dForwardRecordingWinners},
                      {"maxPool2dBackwardFromWinners", maxPool2dBackwardFromWinners},
                      {"avgPool2dForward", poolForward<kernels::avgPool2dForward>},
                      {"avgPool2dBackward", avgPool2dBackward},
                      {"globalAvgPool2dForward", globalPoolForward<kernels::globalAvgPool2dForward>},
                      {"globalAvgPool2dBackward", globalAvgPool2dBackward},
                      {"globalMaxPool2dForward", globalPoolForward<kernels::globalMaxPool2dForward>},
                      {"globalMaxPool2dBackward", globalMaxPool2dBackward},
                  });
}

}  // namespace convkit::binding
