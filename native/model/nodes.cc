#include "model/nodes.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "kernels/dropout.h"
#include "kernels/gemm.h"

namespace convkit::model {
namespace {

using kernels::Activation;

// A parameter with a gradient is computed by backward even when frozen (trainable false: the
// optimizer skips it); one without (batch norm's moving statistics) is updated by forward only.
int addParameter(std::vector<Parameter>& parameters, const char* name, size_t size, bool hasGradient,
                 bool trainable) {
  Parameter parameter;
  parameter.name = name;
  parameter.value.assign(size, 0.0f);
  if (hasGradient) parameter.grad.assign(size, 0.0f);
  parameter.trainable = hasGradient && trainable;
  parameters.push_back(std::move(parameter));
  return static_cast<int>(parameters.size() - 1);
}

float* valueOf(const Pass& pass, int index) {
  return index < 0 ? nullptr : pass.parameters[index].value.data();
}

float* gradOf(const Pass& pass, int index) {
  return index < 0 ? nullptr : pass.parameters[index].grad.data();
}

// The activation a conv2d/dense node applies in its GEMM epilogue: the layer's own when the GEMM
// can, else none (a separate activation node applies it).
Activation fusedActivation(const LayerSpec& spec) {
  return kernels::canFuseIntoGemm(spec.activation, spec.alpha) ? spec.activation : Activation::Linear;
}

// A layer's kernel packed for its forward GEMM, kept until the network's weights change: inference
// would otherwise pack every layer's weights on every call, about a fifth of the work of
// predicting one image. Concurrent inference calls share one packing; the first to find it stale
// repacks while the others wait, since they need the new one too (packing may use the thread pool,
// whose parallelFor never waits for another caller's job, so this lock cannot deadlock with it). Training changes the weights
// every step, so it repacks once per step, in place: nobody else holds the packing then (calls
// that use it hold a reference), so no step allocates.
template <typename Packed>
class PackedKernelCache {
 public:
  template <typename Pack>
  std::shared_ptr<const Packed> get(uint64_t weightsVersion, Pack pack) const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (packed_ == nullptr || version_ != weightsVersion) {
      if (packed_ == nullptr || packed_.use_count() > 1) packed_ = std::make_shared<Packed>();
      pack(*packed_);
      version_ = weightsVersion;
    }
    return packed_;
  }

 private:
  mutable std::mutex mutex_;
  mutable std::shared_ptr<Packed> packed_;
  mutable uint64_t version_ = 0;
};

class Conv2dNode final : public Node {
 public:
  Conv2dNode(const LayerSpec& spec, std::vector<Parameter>& parameters)
      : Node(spec.inSize, spec.outSize), geometry_(spec.conv), activation_(fusedActivation(spec)), alpha_(spec.alpha) {
    const auto& g = spec.conv;
    kernel_ = addParameter(parameters, "kernel",
                           static_cast<size_t>(g.kernelHeight * g.kernelWidth * g.inChannels * g.outChannels), true, spec.trainable);
    bias_ = spec.useBias ? addParameter(parameters, "bias", static_cast<size_t>(g.outChannels), true, spec.trainable) : -1;
  }

  void forward(const Pass& pass, const float* in, float* out) const override {
    const kernels::Conv2dGeometry g = at(pass);
    const auto packed = packedKernel_.get(pass.weightsVersion, [&](kernels::PackedConv2dKernel& target) {
      kernels::packConv2dKernel(g, valueOf(pass, kernel_), target);
    });
    kernels::conv2dForward(g, in, *packed, valueOf(pass, bias_), out, activation_, alpha_);
  }

  double forwardFlopsPerSample() const override {
    const auto& g = geometry_;
    return 2.0 * static_cast<double>(g.outHeight * g.outWidth * g.outChannels) *
           static_cast<double>(g.kernelHeight * g.kernelWidth * g.inChannels);
  }

  void backward(const Pass& pass, const float* in, const float*, const float* gradOut,
                float* gradIn) const override {
    const kernels::Conv2dGeometry g = at(pass);
    kernels::conv2dBackward(g, in, gradOut, valueOf(pass, kernel_), gradIn, gradOf(pass, kernel_), gradOf(pass, bias_));
  }

 private:
  kernels::Conv2dGeometry at(const Pass& pass) const {
    kernels::Conv2dGeometry g = geometry_;
    g.batch = pass.batch;
    return g;
  }

  kernels::Conv2dGeometry geometry_;
  Activation activation_;
  float alpha_;
  int kernel_ = -1;
  int bias_ = -1;
  PackedKernelCache<kernels::PackedConv2dKernel> packedKernel_;
};

class DenseNode final : public Node {
 public:
  DenseNode(const LayerSpec& spec, std::vector<Parameter>& parameters)
      : Node(spec.inSize, spec.outSize), geometry_(spec.dense), activation_(fusedActivation(spec)), alpha_(spec.alpha) {
    kernel_ = addParameter(parameters, "kernel", static_cast<size_t>(geometry_.inFeatures * geometry_.units), true, spec.trainable);
    bias_ = spec.useBias ? addParameter(parameters, "bias", static_cast<size_t>(geometry_.units), true, spec.trainable) : -1;
  }

  void forward(const Pass& pass, const float* in, float* out) const override {
    const kernels::DenseGeometry g = at(pass);
    const auto packed = packedKernel_.get(pass.weightsVersion, [&](kernels::PackedB& target) {
      kernels::packDenseKernel(g, valueOf(pass, kernel_), target);
    });
    kernels::denseForward(g, in, *packed, valueOf(pass, bias_), out, activation_, alpha_);
  }

  double forwardFlopsPerSample() const override {
    return 2.0 * static_cast<double>(geometry_.inFeatures) * static_cast<double>(geometry_.units);
  }

  void backward(const Pass& pass, const float* in, const float*, const float* gradOut,
                float* gradIn) const override {
    const kernels::DenseGeometry g = at(pass);
    if (gradIn != nullptr) kernels::denseBackwardInput(g, gradOut, valueOf(pass, kernel_), gradIn);
    kernels::denseBackwardParams(g, in, gradOut, gradOf(pass, kernel_), gradOf(pass, bias_));
  }

 private:
  kernels::DenseGeometry at(const Pass& pass) const {
    kernels::DenseGeometry g = geometry_;
    g.batch = pass.batch;
    return g;
  }

  kernels::DenseGeometry geometry_;
  Activation activation_;
  float alpha_;
  int kernel_ = -1;
  int bias_ = -1;
  PackedKernelCache<kernels::PackedB> packedKernel_;
};

class Pool2dNode final : public Node {
 public:
  Pool2dNode(const LayerSpec& spec, bool max)
      : Node(spec.inSize, spec.outSize),
        geometry_(spec.pool),
        max_(max),
        recordsWinners_(max && kernels::maxPoolRecordsWinners(spec.pool)) {}

  // Max pooling over the output of an activation fused into the layer before can apply that
  // activation's derivative while it routes gradients (maxPool2dBackward): returns whether it will.
  bool takeOverActivationGradient(Activation kind, float alpha) {
    if (!max_ || !kernels::derivativeFollowsFromOutput(kind, alpha)) return false;
    inputActivation_ = kind;
    inputActivationAlpha_ = alpha;
    return true;
  }

  void forward(const Pass& pass, const float* in, float* out) const override {
    const kernels::Pool2dGeometry g = at(pass);
    if (recordsWinners_ && pass.training) {
      kernels::maxPool2dForwardRecordingWinners(g, in, out, pass.state->bytes.data());
    } else if (max_) {
      kernels::maxPool2dForward(g, in, out);
    } else {
      kernels::avgPool2dForward(g, in, out);
    }
  }

  void backward(const Pass& pass, const float* in, const float*, const float* gradOut,
                float* gradIn) const override {
    if (gradIn == nullptr) return;
    const kernels::Pool2dGeometry g = at(pass);
    if (recordsWinners_) {
      kernels::maxPool2dBackwardFromWinners(g, pass.state->bytes.data(), gradOut, gradIn, inputActivation_,
                                            inputActivationAlpha_);
    } else if (max_) {
      kernels::maxPool2dBackward(g, in, gradOut, gradIn, inputActivation_, inputActivationAlpha_);
    } else {
      kernels::avgPool2dBackward(g, gradOut, gradIn);
    }
  }

  void reserveState(NodeState& state, int64_t batch) const override {
    if (recordsWinners_) state.bytes.resize(static_cast<size_t>(batch * outSize));
  }

 private:
  kernels::Pool2dGeometry at(const Pass& pass) const {
    kernels::Pool2dGeometry g = geometry_;
    g.batch = pass.batch;
    return g;
  }

  kernels::Pool2dGeometry geometry_;
  bool max_;
  // Training's forward records each output's winner (one byte each, in the state) for backward,
  // which then need not read the input again: the largest memory traffic of max pooling's backward.
  bool recordsWinners_;
  Activation inputActivation_ = Activation::Linear;
  float inputActivationAlpha_ = 0.0f;
};

class GlobalPool2dNode final : public Node {
 public:
  GlobalPool2dNode(const LayerSpec& spec, bool max)
      : Node(spec.inSize, spec.outSize), height_(spec.height), width_(spec.width), channels_(spec.channels), max_(max) {}

  void forward(const Pass& pass, const float* in, float* out) const override {
    if (max_) {
      kernels::globalMaxPool2dForward(pass.batch, height_, width_, channels_, in, out);
    } else {
      kernels::globalAvgPool2dForward(pass.batch, height_, width_, channels_, in, out);
    }
  }

  void backward(const Pass& pass, const float* in, const float*, const float* gradOut,
                float* gradIn) const override {
    if (gradIn == nullptr) return;
    if (max_) {
      kernels::globalMaxPool2dBackward(pass.batch, height_, width_, channels_, in, gradOut, gradIn);
    } else {
      kernels::globalAvgPool2dBackward(pass.batch, height_, width_, channels_, gradOut, gradIn);
    }
  }

 private:
  int64_t height_, width_, channels_;
  bool max_;
};

class ReshapeNode final : public Node {
 public:
  explicit ReshapeNode(const LayerSpec& spec) : Node(spec.inSize, spec.outSize) {}
  void forward(const Pass&, const float*, float*) const override {}
  void backward(const Pass&, const float*, const float*, const float*, float*) const override {}
  bool aliasesInput() const override { return true; }
};

class DropoutNode final : public Node {
 public:
  explicit DropoutNode(const LayerSpec& spec) : Node(spec.inSize, spec.outSize), rate_(spec.dropoutRate) {}

  void forward(const Pass& pass, const float* in, float* out) const override {
    const int64_t count = pass.batch * inSize;
    if (!pass.training || rate_ == 0.0f) {
      std::memcpy(out, in, sizeof(float) * static_cast<size_t>(count));
      return;
    }
    kernels::dropoutForward(count, rate_, pass.seed, in, out, pass.state->bytes.data());
  }

  void backward(const Pass& pass, const float*, const float*, const float* gradOut,
                float* gradIn) const override {
    if (gradIn == nullptr) return;
    const int64_t count = pass.batch * inSize;
    if (rate_ == 0.0f) {
      std::memcpy(gradIn, gradOut, sizeof(float) * static_cast<size_t>(count));
      return;
    }
    kernels::dropoutBackward(count, rate_, pass.state->bytes.data(), gradOut, gradIn);
  }

  void reserveState(NodeState& state, int64_t batch) const override {
    state.bytes.resize(static_cast<size_t>(batch * inSize));
  }

 private:
  float rate_;
};

class BatchNormNode final : public Node {
 public:
  BatchNormNode(const LayerSpec& spec, std::vector<Parameter>& parameters)
      : Node(spec.inSize, spec.outSize), channels_(spec.channels), epsilon_(spec.epsilon), momentum_(spec.momentum) {
    const auto channels = static_cast<size_t>(spec.channels);
    gamma_ = addParameter(parameters, "gamma", channels, true, spec.trainable);
    beta_ = addParameter(parameters, "beta", channels, true, spec.trainable);
    movingMean_ = addParameter(parameters, "moving_mean", channels, false, false);
    movingVariance_ = addParameter(parameters, "moving_variance", channels, false, false);
    std::fill(parameters[gamma_].value.begin(), parameters[gamma_].value.end(), 1.0f);
    std::fill(parameters[movingVariance_].value.begin(), parameters[movingVariance_].value.end(), 1.0f);
  }

  void forward(const Pass& pass, const float* in, float* out) const override {
    const kernels::BatchNormGeometry g = at(pass);
    if (pass.training) {
      float* saved = pass.state->floats.data();
      kernels::batchNormTrainingForward(g, in, valueOf(pass, gamma_), valueOf(pass, beta_),
                                        valueOf(pass, movingMean_), valueOf(pass, movingVariance_), out,
                                        saved, saved + channels_);
    } else {
      kernels::batchNormInferenceForward(g, in, valueOf(pass, gamma_), valueOf(pass, beta_),
                                         valueOf(pass, movingMean_), valueOf(pass, movingVariance_), out);
    }
  }

  void backward(const Pass& pass, const float* in, const float*, const float* gradOut,
                float* gradIn) const override {
    float* saved = pass.state->floats.data();
    // The kernel always writes an input gradient; the first layer's goes to a scratch area.
    float* target = gradIn != nullptr ? gradIn : saved + 2 * channels_;
    kernels::batchNormBackward(at(pass), in, valueOf(pass, gamma_), saved, saved + channels_, gradOut, target,
                               gradOf(pass, gamma_), gradOf(pass, beta_));
  }

  void reserveState(NodeState& state, int64_t batch) const override {
    state.floats.resize(static_cast<size_t>(2 * channels_ + batch * inSize));
  }

 private:
  kernels::BatchNormGeometry at(const Pass& pass) const {
    kernels::BatchNormGeometry g;
    g.rows = pass.batch * (inSize / channels_);
    g.channels = channels_;
    g.epsilon = epsilon_;
    g.momentum = momentum_;
    return g;
  }

  int64_t channels_;
  float epsilon_, momentum_;
  int gamma_ = -1, beta_ = -1, movingMean_ = -1, movingVariance_ = -1;
};

class ActivationNode final : public Node {
 public:
  // fusedIntoGemm: the previous node's GEMM already applied it, so forward has nothing to do and
  // backward gets the activation's output as its input. That is enough for relu and leakyRelu
  // (slope >= 0), the only ones fused, whose gradient depends on the sign of x alone, which the
  // output keeps.
  ActivationNode(int64_t size, Activation kind, float alpha, int64_t cols, bool fusedIntoGemm)
      : Node(size, size), kind_(kind), alpha_(alpha), cols_(cols), fusedIntoGemm_(fusedIntoGemm) {}

  void forward(const Pass& pass, const float* in, float* out) const override {
    if (fusedIntoGemm_) return;
    const int64_t count = pass.batch * inSize;
    kernels::activationForward(kind_, alpha_, count / cols_, cols_, in, out);
  }

  bool aliasesInput() const override { return fusedIntoGemm_; }
  bool passesGradientThrough() const override { return gradientAppliedByNextNode_; }

  // A fused activation followed by max pooling hands its backward to the pooling node.
  void handBackwardTo(Node& next) {
    auto* pool = dynamic_cast<Pool2dNode*>(&next);
    if (fusedIntoGemm_ && pool != nullptr) gradientAppliedByNextNode_ = pool->takeOverActivationGradient(kind_, alpha_);
  }

  void backward(const Pass& pass, const float* in, const float* out, const float* gradOut,
                float* gradIn) const override {
    if (gradIn == nullptr) return;
    const int64_t count = pass.batch * inSize;
    kernels::activationBackward(kind_, alpha_, count / cols_, cols_, in, out, gradOut, gradIn);
  }

  const Activation* activationKind() const override { return &kind_; }

 private:
  Activation kind_;
  float alpha_;
  int64_t cols_;
  bool fusedIntoGemm_;
  bool gradientAppliedByNextNode_ = false;
};

class MaxoutNode final : public Node {
 public:
  explicit MaxoutNode(const LayerSpec& spec)
      : Node(spec.inSize, spec.outSize), units_(spec.units), pieces_(spec.pieces) {}

  void forward(const Pass& pass, const float* in, float* out) const override {
    kernels::maxoutForward(rows(pass), units_, pieces_, in, out);
  }

  void backward(const Pass& pass, const float* in, const float*, const float* gradOut,
                float* gradIn) const override {
    if (gradIn != nullptr) kernels::maxoutBackward(rows(pass), units_, pieces_, in, gradOut, gradIn);
  }

 private:
  int64_t rows(const Pass& pass) const { return pass.batch * inSize / (units_ * pieces_); }

  int64_t units_, pieces_;
};

// The activation after a conv/dense layer runs over its channels (the last axis).
void appendActivation(const LayerSpec& spec, int64_t channels, std::vector<std::unique_ptr<Node>>& nodes) {
  if (spec.activation == Activation::Linear) return;
  const bool fused = fusedActivation(spec) == spec.activation;
  nodes.push_back(std::make_unique<ActivationNode>(spec.outSize, spec.activation, spec.alpha, channels, fused));
}

}  // namespace

void fuseActivationBackwards(std::vector<std::unique_ptr<Node>>& nodes) {
  for (size_t i = 0; i + 1 < nodes.size(); ++i) {
    if (auto* activation = dynamic_cast<ActivationNode*>(nodes[i].get())) activation->handBackwardTo(*nodes[i + 1]);
  }
}

void appendLayerNodes(const LayerSpec& spec, std::vector<Parameter>& parameters,
                      std::vector<std::unique_ptr<Node>>& nodes) {
  switch (spec.kind) {
    case LayerKind::Conv2d:
      nodes.push_back(std::make_unique<Conv2dNode>(spec, parameters));
      appendActivation(spec, spec.conv.outChannels, nodes);
      return;
    case LayerKind::Dense:
      nodes.push_back(std::make_unique<DenseNode>(spec, parameters));
      appendActivation(spec, spec.dense.units, nodes);
      return;
    case LayerKind::MaxPool2d:
    case LayerKind::AvgPool2d:
      nodes.push_back(std::make_unique<Pool2dNode>(spec, spec.kind == LayerKind::MaxPool2d));
      return;
    case LayerKind::GlobalAvgPool2d:
    case LayerKind::GlobalMaxPool2d:
      nodes.push_back(std::make_unique<GlobalPool2dNode>(spec, spec.kind == LayerKind::GlobalMaxPool2d));
      return;
    case LayerKind::Reshape:
      nodes.push_back(std::make_unique<ReshapeNode>(spec));
      return;
    case LayerKind::Dropout:
      nodes.push_back(std::make_unique<DropoutNode>(spec));
      return;
    case LayerKind::BatchNorm:
      nodes.push_back(std::make_unique<BatchNormNode>(spec, parameters));
      return;
    case LayerKind::Activation:
      nodes.push_back(std::make_unique<ActivationNode>(spec.inSize, spec.activation, spec.alpha, spec.activationCols, false));
      return;
    case LayerKind::Maxout:
      nodes.push_back(std::make_unique<MaxoutNode>(spec));
      return;
  }
}

}  // namespace convkit::model
