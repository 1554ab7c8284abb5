#include "model/layer_spec.h"

#include <array>
#include <utility>

namespace convkit::model {
namespace {

template <size_t... I>
constexpr std::array<const char*, kLayerKindCount> kindNames(std::index_sequence<I...>) {
  return {std::variant_alternative_t<I, AnyLayer>::kKind...};
}

constexpr auto kKindNames = kindNames(std::make_index_sequence<kLayerKindCount>());

}  // namespace

const char* layerKindName(size_t index) {
  return kKindNames.at(index);
}

int64_t LayerSpec::outSize() const {
  return std::visit([](const auto& kind) { return kind.outSize(); }, layer);
}

void appendLayerNodes(const LayerSpec& spec, std::vector<Parameter>& parameters,
                      std::vector<std::unique_ptr<Node>>& nodes) {
  NodeSink sink{parameters, nodes, spec.trainable};
  std::visit([&](const auto& kind) { appendNodes(kind, sink); }, spec.layer);
}

}  // namespace convkit::model
