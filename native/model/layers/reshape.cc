#include "model/layers/reshape.h"

namespace convkit::model {
namespace {

class ReshapeNode final : public UnaryNode {
 public:
  explicit ReshapeNode(int64_t size) : UnaryNode(size, size) {}
  void forward(const Pass&, const float*, float*) const override {}
  void backward(const Pass&, const float*, const float*, const float*, float*) const override {}
  bool aliasesInput() const override { return true; }
};

}  // namespace

void appendNodes(const ReshapeLayer& layer, NodeSink& sink) {
  sink.append<ReshapeNode>(layer.size);
}

}  // namespace convkit::model
