// Keras's GlobalAveragePooling2D and GlobalMaxPooling2D: [height, width, channels] -> [channels].
#pragma once

#include <cstdint>

#include "model/node.h"

namespace convkit::model {

struct GlobalPool2dLayer {
  int64_t height = 0, width = 0, channels = 0;

  int64_t inSize() const { return height * width * channels; }
  int64_t outSize() const { return channels; }
};

struct GlobalAvgPool2dLayer : GlobalPool2dLayer {
  static constexpr const char* kKind = "globalAveragePooling2d";
};

struct GlobalMaxPool2dLayer : GlobalPool2dLayer {
  static constexpr const char* kKind = "globalMaxPooling2d";
};

void appendNodes(const GlobalAvgPool2dLayer& layer, NodeSink& sink);
void appendNodes(const GlobalMaxPool2dLayer& layer, NodeSink& sink);

}  // namespace convkit::model
