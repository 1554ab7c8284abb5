#include "binding/layers.h"

#include <cmath>
#include <string>
#include <variant>
#include <vector>

#include "binding/specs.h"

namespace convkit::binding {
namespace {

using namespace model;  // the layer kinds

int64_t size(Args& args, const Napi::Object& spec, const char* field) {
  return args.integer(spec, field, 1);
}

// Throws a RangeError unless `size` is a multiple of `group`.
void requireMultiple(Args& args, const char* kind, int64_t size, int64_t group, const char* groupName) {
  if (size % group != 0) args.throwRangeError(std::string(kind) + ": size must be a multiple of " + groupName);
}

// An array of integers in [min, max], of at least minCount and at most 4096 elements.
std::vector<int64_t> integerList(Args& args, const Napi::Object& spec, const char* field, int64_t min, int64_t max,
                                 uint32_t minCount) {
  const Napi::Value value = spec.Get(field);
  if (!value.IsArray()) args.throwTypeError(std::string(field) + " must be an array of integers");
  const auto array = value.As<Napi::Array>();
  if (array.Length() < minCount || array.Length() > 4096) {
    args.throwRangeError(std::string(field) + " must have " + std::to_string(minCount) + " to 4096 elements, got " +
                         std::to_string(array.Length()));
  }
  std::vector<int64_t> values;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    const Napi::Value element = array.Get(i);
    const double number = element.IsNumber() ? element.As<Napi::Number>().DoubleValue() : NAN;
    if (!(number >= static_cast<double>(min) && number <= static_cast<double>(max)) || std::floor(number) != number) {
      args.throwRangeError(std::string(field) + "[" + std::to_string(i) + "] must be an integer in [" +
                           std::to_string(min) + ", " + std::to_string(max) + "]");
    }
    values.push_back(static_cast<int64_t>(number));
  }
  return values;
}

// How many layers a merge reads: the length of the spec's `inputs` (at least 2).
int64_t mergedInputs(Args& args, const Napi::Object& spec) {
  return static_cast<int64_t>(integerList(args, spec, "inputs", -1, kMaxElements, 2).size());
}

// { activation?, alpha? }: a conv2d/dense layer's activation, or an activation layer's function.
ActivationFunction readFunction(Args& args, const Napi::Object& spec) {
  ActivationFunction function;
  if (!spec.Get("activation").IsUndefined()) function.kind = readActivation(args, spec, "activation");
  if (!spec.Get("alpha").IsUndefined()) function.alpha = static_cast<float>(args.number(spec, "alpha", -1e6, 1e6));
  return function;
}

// One reader per kind: the spec's fields beyond `kind` and `trainable`.
void read(Args& args, const Napi::Object& spec, Conv2dLayer& layer) {
  layer.geometry = readConv2dGeometry(args, spec, false);
  layer.useBias = args.boolean(spec, "useBias", true);
  layer.activation = readFunction(args, spec);
}

void read(Args& args, const Napi::Object& spec, DepthwiseConv2dLayer& layer) {
  layer.geometry = readDepthwiseConv2dGeometry(args, spec, false);
  layer.useBias = args.boolean(spec, "useBias", true);
  layer.activation = readFunction(args, spec);
}

void read(Args& args, const Napi::Object& spec, SeparableConv2dLayer& layer) {
  layer.depthwise = readDepthwiseConv2dGeometry(args, spec, false);
  layer.filters = size(args, spec, "filters");
  args.product({layer.depthwise.outChannels, layer.filters}, "pointwise kernel");
  args.product({layer.depthwise.outHeight, layer.depthwise.outWidth, layer.filters}, "output");
  layer.useBias = args.boolean(spec, "useBias", true);
  layer.activation = readFunction(args, spec);
}

void read(Args& args, const Napi::Object& spec, DenseLayer& layer) {
  layer.geometry.inFeatures = size(args, spec, "inFeatures");
  layer.geometry.units = size(args, spec, "units");
  args.product({layer.geometry.inFeatures, layer.geometry.units}, "dense kernel");
  layer.useBias = args.boolean(spec, "useBias", true);
  layer.activation = readFunction(args, spec);
}

void read(Args& args, const Napi::Object& spec, Pool2dLayer& layer) {
  layer.geometry = readPool2dGeometry(args, spec, false);
}

void read(Args& args, const Napi::Object& spec, GlobalPool2dLayer& layer) {
  layer.height = size(args, spec, "height");
  layer.width = size(args, spec, "width");
  layer.channels = size(args, spec, "channels");
  args.product({layer.height, layer.width, layer.channels}, "global pooling input");
}

void read(Args& args, const Napi::Object& spec, ReshapeLayer& layer) {
  layer.size = size(args, spec, "size");
}

void read(Args& args, const Napi::Object& spec, DropoutLayer& layer) {
  layer.size = size(args, spec, "size");
  layer.rate = static_cast<float>(args.number(spec, "rate", 0.0, 0.999999));
}

void read(Args& args, const Napi::Object& spec, BatchNormLayer& layer) {
  layer.size = size(args, spec, "size");
  layer.channels = size(args, spec, "channels");
  layer.epsilon = static_cast<float>(args.number(spec, "epsilon", 1e-12, 1.0));
  layer.momentum = static_cast<float>(args.number(spec, "momentum", 0.0, 1.0));
  requireMultiple(args, BatchNormLayer::kKind, layer.size, layer.channels, "channels");
}

void read(Args& args, const Napi::Object& spec, ActivationLayer& layer) {
  layer.size = size(args, spec, "size");
  layer.channels = size(args, spec, "channels");
  layer.function = readFunction(args, spec);
  requireMultiple(args, ActivationLayer::kKind, layer.size, layer.channels, "channels");
}

void read(Args& args, const Napi::Object& spec, MaxoutLayer& layer) {
  layer.size = size(args, spec, "size");
  layer.units = size(args, spec, "units");
  layer.pieces = size(args, spec, "pieces");
  requireMultiple(args, MaxoutLayer::kKind, layer.size,
                  args.product({layer.units, layer.pieces}, "maxout units*pieces"), "units*pieces");
}

void read(Args& args, const Napi::Object& spec, PreluLayer& layer) {
  layer.size = size(args, spec, "size");
  layer.channels = size(args, spec, "channels");
  requireMultiple(args, PreluLayer::kKind, layer.size, layer.channels, "channels");
}

void read(Args& args, const Napi::Object& spec, ElementwiseMergeLayer& layer) {
  layer.size = size(args, spec, "size");
  layer.inputs = mergedInputs(args, spec);
}

void read(Args& args, const Napi::Object& spec, MultiplyLayer& layer) {
  layer.positions = size(args, spec, "positions");
  layer.channels = size(args, spec, "channels");
  args.product({layer.positions, layer.channels}, "multiply output");
  for (const int64_t flag : integerList(args, spec, "broadcast", 0, 1, 2)) layer.broadcast.push_back(flag != 0);
  if (static_cast<int64_t>(layer.broadcast.size()) != mergedInputs(args, spec)) {
    args.throwRangeError("multiply: broadcast must have one flag per input");
  }
}

void read(Args& args, const Napi::Object& spec, ConcatenateLayer& layer) {
  layer.positions = size(args, spec, "positions");
  layer.channels = integerList(args, spec, "channels", 1, kMaxElements, 2);
  int64_t total = 0;
  for (const int64_t channels : layer.channels) total = args.product({total + channels, 1}, "concatenate channels");
  args.product({layer.positions, total}, "concatenate output");
  if (static_cast<int64_t>(layer.channels.size()) != mergedInputs(args, spec)) {
    args.throwRangeError("concatenate: channels must have one entry per input");
  }
}

// Finds the kind named `kind` among AnyLayer's alternatives and reads it.
template <size_t I = 0>
AnyLayer readKind(Args& args, const Napi::Object& spec, const std::string& kind, uint32_t index) {
  if constexpr (I == kLayerKindCount) {
    args.throwRangeError("layers[" + std::to_string(index) + "].kind '" + kind + "' is not a layer kind");
  } else {
    using Kind = std::variant_alternative_t<I, AnyLayer>;
    if (kind != Kind::kKind) return readKind<I + 1>(args, spec, kind, index);
    Kind layer;
    read(args, spec, layer);
    return layer;
  }
}

}  // namespace

LayerSpec readLayer(Args& args, const Napi::Object& spec, uint32_t index) {
  const Napi::Value kindValue = spec.Get("kind");
  const std::string kind = kindValue.IsString() ? kindValue.As<Napi::String>().Utf8Value() : "";
  LayerSpec layer;
  layer.layer = readKind(args, spec, kind, index);
  layer.trainable = args.boolean(spec, "trainable", true);
  if (!spec.Get("inputs").IsUndefined()) {
    for (const int64_t input :
         integerList(args, spec, "inputs", model::kNetworkInput, static_cast<int64_t>(index) - 1, 1)) {
      layer.inputs.push_back(static_cast<int>(input));
    }
  }
  return layer;
}

Napi::Array layerKindNames(Napi::Env env) {
  Napi::Array names = Napi::Array::New(env, kLayerKindCount);
  for (size_t i = 0; i < kLayerKindCount; ++i) names.Set(static_cast<uint32_t>(i), layerKindName(i));
  return names;
}

}  // namespace convkit::binding
