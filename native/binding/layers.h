// Reads a layer of `new Network(layers)` into the model's registry of layer kinds
// (model/layer_spec.h): one reader per kind, found by the spec's `kind` name.
#pragma once

#include <napi.h>

#include <cstdint>

#include "binding/args.h"
#include "model/layer_spec.h"

namespace convkit::binding {

// layers[index]: { kind, trainable?, ...that kind's fields }. A TypeError/RangeError naming the
// field for anything missing or out of range, or for an unknown kind.
model::LayerSpec readLayer(Args& args, const Napi::Object& spec, uint32_t index);

// The kinds readLayer accepts, by name, for the TypeScript side to check its own list against.
Napi::Array layerKindNames(Napi::Env env);

}  // namespace convkit::binding
