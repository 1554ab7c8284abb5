#include "binding/specs.h"

#include <algorithm>
#include <string>

namespace convkit::binding {
namespace {

constexpr int64_t kMaxWindow = 1 << 20;

int64_t optionalWindowInteger(Args& args, const Napi::Object& params, int64_t fallback, const char* field) {
  return params.Get(field).IsUndefined() ? fallback : args.integer(params, field, 1, kMaxWindow);
}

kernels::Padding readPadding(Args& args, const Napi::Object& params, int64_t pads[4]) {
  if (params.Get("padding").IsUndefined()) {
    std::fill(pads, pads + 4, 0);
    return kernels::Padding::Valid;
  }
  return args.padding(params, "padding", pads);
}

// Derives both spatial axes of a sliding window; a RangeError when it does not fit.
void fitWindow(Args& args, const char* what, int64_t inHeight, int64_t inWidth, int64_t windowHeight,
               int64_t windowWidth, int64_t strideHeight, int64_t strideWidth, int64_t dilationHeight,
               int64_t dilationWidth, kernels::Padding padding, const int64_t pads[4], kernels::WindowAxis* rows,
               kernels::WindowAxis* cols) {
  const bool fitsRows =
      kernels::windowAxis(inHeight, windowHeight, strideHeight, dilationHeight, padding, pads[0], pads[1], rows);
  const bool fitsCols =
      kernels::windowAxis(inWidth, windowWidth, strideWidth, dilationWidth, padding, pads[2], pads[3], cols);
  if (!fitsRows || !fitsCols) {
    const bool dilated = dilationHeight > 1 || dilationWidth > 1;
    args.throwRangeError(std::string("the ") + what + " window (" +
                         std::to_string(kernels::effectiveWindow(windowHeight, dilationHeight)) + "x" +
                         std::to_string(kernels::effectiveWindow(windowWidth, dilationWidth)) +
                         (dilated ? " after dilation" : "") + ") does not fit the padded input (" +
                         std::to_string(inHeight + rows->padBefore + rows->padAfter) + "x" +
                         std::to_string(inWidth + cols->padBefore + cols->padAfter) + ")");
  }
}

// Reads a window geometry's { batch (when withBatch, else 1), inHeight, inWidth }.
template <typename Geometry>
void readInputSize(Args& args, const Napi::Object& params, bool withBatch, Geometry& g) {
  g.batch = withBatch ? args.integer(params, "batch", 1) : 1;
  g.inHeight = args.integer(params, "inHeight", 1);
  g.inWidth = args.integer(params, "inWidth", 1);
}

// Sets a window geometry's output size and leading pads from its fitted axes.
template <typename Geometry>
void setOutput(Geometry& g, const kernels::WindowAxis& rows, const kernels::WindowAxis& cols) {
  g.outHeight = rows.outSize;
  g.outWidth = cols.outSize;
  g.padTop = rows.padBefore;
  g.padLeft = cols.padBefore;
}

}  // namespace

namespace {

// A convolution's window and sizes; readOutChannels(inChannels) reads or derives outChannels.
template <typename ReadOutChannels>
kernels::Conv2dGeometry readConvolutionWindow(Args& args, const Napi::Object& params, bool withBatch,
                                              ReadOutChannels readOutChannels) {
  kernels::Conv2dGeometry g;
  readInputSize(args, params, withBatch, g);
  g.inChannels = args.integer(params, "inChannels", 1);
  g.outChannels = readOutChannels(g.inChannels);
  g.kernelHeight = args.integer(params, "kernelHeight", 1, 1 << 20);
  g.kernelWidth = args.integer(params, "kernelWidth", 1, 1 << 20);
  g.strideHeight = optionalWindowInteger(args, params, 1, "strideHeight");
  g.strideWidth = optionalWindowInteger(args, params, 1, "strideWidth");
  g.dilationHeight = optionalWindowInteger(args, params, 1, "dilationHeight");
  g.dilationWidth = optionalWindowInteger(args, params, 1, "dilationWidth");
  int64_t pads[4];
  const kernels::Padding padding = readPadding(args, params, pads);
  kernels::WindowAxis rows, cols;
  fitWindow(args, "kernel", g.inHeight, g.inWidth, g.kernelHeight, g.kernelWidth, g.strideHeight, g.strideWidth,
            g.dilationHeight, g.dilationWidth, padding, pads, &rows, &cols);
  setOutput(g, rows, cols);
  args.product({g.batch, g.inHeight, g.inWidth, g.inChannels}, "input");
  args.product({g.batch, g.outHeight, g.outWidth, g.outChannels}, "output");
  return g;
}

}  // namespace

kernels::Conv2dGeometry readConv2dGeometry(Args& args, const Napi::Object& params, bool withBatch) {
  const kernels::Conv2dGeometry g =
      readConvolutionWindow(args, params, withBatch, [&](int64_t) { return args.integer(params, "outChannels", 1); });
  // Every buffer size derived below must fit, including the im2col workspace.
  args.product({g.outHeight, g.outWidth, g.kernelHeight, g.kernelWidth, g.inChannels}, "im2col workspace");
  args.product({g.kernelHeight, g.kernelWidth, g.inChannels, g.outChannels}, "kernel");
  return g;
}

kernels::Conv2dGeometry readDepthwiseConv2dGeometry(Args& args, const Napi::Object& params, bool withBatch) {
  const kernels::Conv2dGeometry g = readConvolutionWindow(args, params, withBatch, [&](int64_t inChannels) {
    const int64_t multiplier =
        params.Get("depthMultiplier").IsUndefined() ? 1 : args.integer(params, "depthMultiplier", 1, kMaxWindow);
    return args.product({inChannels, multiplier}, "inChannels*depthMultiplier");
  });
  args.product({g.kernelHeight, g.kernelWidth, g.outChannels}, "depthwise kernel");
  return g;
}

kernels::Pool2dGeometry readPool2dGeometry(Args& args, const Napi::Object& params, bool withBatch) {
  kernels::Pool2dGeometry g;
  readInputSize(args, params, withBatch, g);
  g.channels = args.integer(params, "channels", 1);
  g.poolHeight = args.integer(params, "poolHeight", 1, kMaxWindow);
  g.poolWidth = args.integer(params, "poolWidth", 1, kMaxWindow);
  g.strideHeight = optionalWindowInteger(args, params, g.poolHeight, "strideHeight");
  g.strideWidth = optionalWindowInteger(args, params, g.poolWidth, "strideWidth");
  int64_t pads[4];
  const kernels::Padding padding = readPadding(args, params, pads);
  // A pad as wide as the window would make windows that see only padding (an empty average).
  static const char* const kSides[4] = {"top", "bottom", "left", "right"};
  for (int i = 0; i < 4; ++i) {
    const bool vertical = i < 2;
    const int64_t pool = vertical ? g.poolHeight : g.poolWidth;
    if (pads[i] >= pool) {
      args.throwRangeError("padding[" + std::to_string(i) + "] (" + kSides[i] + ") must be smaller than " +
                           (vertical ? "poolHeight" : "poolWidth") + " (" + std::to_string(pool) + "), got " +
                           std::to_string(pads[i]));
    }
  }
  kernels::WindowAxis rows, cols;
  fitWindow(args, "pool", g.inHeight, g.inWidth, g.poolHeight, g.poolWidth, g.strideHeight, g.strideWidth, 1, 1,
            padding, pads, &rows, &cols);
  setOutput(g, rows, cols);
  args.product({g.batch, g.inHeight, g.inWidth, g.channels}, "input");
  args.product({g.batch, g.outHeight, g.outWidth, g.channels}, "output");
  return g;
}

namespace {

Napi::Object windowGeometryObject(Napi::Env env, int64_t outHeight, int64_t outWidth, int64_t padTop, int64_t padBottom,
                                  int64_t padLeft, int64_t padRight) {
  Napi::Object result = Napi::Object::New(env);
  auto set = [&](const char* name, int64_t value) {
    result.Set(name, Napi::Number::New(env, static_cast<double>(value)));
  };
  set("outHeight", outHeight);
  set("outWidth", outWidth);
  set("padTop", padTop);
  set("padBottom", padBottom);
  set("padLeft", padLeft);
  set("padRight", padRight);
  return result;
}

}  // namespace

Napi::Object conv2dGeometryObject(Napi::Env env, const kernels::Conv2dGeometry& g) {
  return windowGeometryObject(
      env, g.outHeight, g.outWidth, g.padTop,
      kernels::padReachedAfter(g.inHeight, g.outHeight, kernels::effectiveWindow(g.kernelHeight, g.dilationHeight),
                               g.strideHeight, g.padTop),
      g.padLeft,
      kernels::padReachedAfter(g.inWidth, g.outWidth, kernels::effectiveWindow(g.kernelWidth, g.dilationWidth),
                               g.strideWidth, g.padLeft));
}

Napi::Object pool2dGeometryObject(Napi::Env env, const kernels::Pool2dGeometry& g) {
  return windowGeometryObject(env, g.outHeight, g.outWidth, g.padTop,
                              kernels::padReachedAfter(g.inHeight, g.outHeight, g.poolHeight, g.strideHeight, g.padTop),
                              g.padLeft,
                              kernels::padReachedAfter(g.inWidth, g.outWidth, g.poolWidth, g.strideWidth, g.padLeft));
}

kernels::Activation readActivation(Args& args, const Napi::Object& params, const char* field) {
  const Napi::Value value = params.Get(field);
  if (!value.IsString()) {
    args.throwTypeError(std::string(field) + " must be an activation name string");
  }
  const std::string name = value.As<Napi::String>().Utf8Value();
  static const struct {
    const char* name;
    kernels::Activation kind;
  } kActivations[] = {
      {"linear", kernels::Activation::Linear},
      {"relu", kernels::Activation::Relu},
      {"leakyRelu", kernels::Activation::LeakyRelu},
      {"elu", kernels::Activation::Elu},
      {"sigmoid", kernels::Activation::Sigmoid},
      {"tanh", kernels::Activation::Tanh},
      {"softmax", kernels::Activation::Softmax},
      {"relu6", kernels::Activation::Relu6},
      {"swish", kernels::Activation::Swish},
      {"hardSwish", kernels::Activation::HardSwish},
      {"hardSigmoid", kernels::Activation::HardSigmoid},
      {"gelu", kernels::Activation::Gelu},
      {"softplus", kernels::Activation::Softplus},
      {"selu", kernels::Activation::Selu},
      {"mish", kernels::Activation::Mish},
  };
  std::string names;
  for (const auto& entry : kActivations) {
    if (name == entry.name) return entry.kind;
    names += names.empty() ? entry.name : std::string(", ") + entry.name;
  }
  args.throwRangeError(std::string(field) + " must be one of " + names + "; got '" + name + "'");
}

OutputActivation readOutputActivation(Args& args, const Napi::Object& params, const char* purpose) {
  OutputActivation activation;
  if (!params.Get("activation").IsUndefined()) activation.kind = readActivation(args, params, "activation");
  if (!params.Get("activationAlpha").IsUndefined()) {
    activation.alpha = static_cast<float>(args.number(params, "activationAlpha", 0.0, 3.4e38));
  }
  if (!kernels::derivativeFollowsFromOutput(activation.kind, activation.alpha)) {
    args.throwRangeError(std::string("activation must be linear, relu or leakyRelu ") + purpose);
  }
  return activation;
}

}  // namespace convkit::binding
