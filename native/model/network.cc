#include "model/network.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "kernels/loss.h"
#include "kernels/optimizer.h"
#include "runtime/thread_pool.h"

namespace convkit::model {

template <typename T>
int64_t bytesOf(const std::vector<T>& vector) {
  return static_cast<int64_t>(vector.capacity() * sizeof(T));
}

// Buffers for executing the network on up to `capacity` samples, laid out by a BufferPlan
// (training's: one per node; inference's: shared once outputs are dead). Grows, never shrinks, so
// a training loop allocates only on its first (largest) batch.
struct Workspace {
  explicit Workspace(const BufferPlan& plan) : plan(plan) {}

  const BufferPlan& plan;
  int64_t capacity = 0;
  int64_t bytes = 0;                        // what the buffers below hold
  std::vector<std::vector<float>> buffers;  // the plan's, which node outputs are written to
  std::vector<const float*> outputs;        // per node, for the current call
  std::vector<NodeState> states;
  std::vector<std::vector<float>> gradients;  // backward's slots (model/graph.h)
  std::vector<const float*> inputs;           // one node's inputs, gathered for its call
  std::vector<float*> inputGradients;         // one node's input gradients, likewise

  // Where node i writes its output (not for a node aliasing its input).
  float* outputBuffer(size_t node) { return buffers[static_cast<size_t>(plan.bufferOf[node])].data(); }

  // Returns how many bytes the buffers grew by.
  int64_t reserve(const std::vector<std::unique_ptr<Node>>& nodes, int64_t batch, bool training, int gradientSlots) {
    if (batch <= capacity) return 0;
    capacity = batch;
    const auto n = nodes.size();
    buffers.resize(plan.floatsPerSample.size());
    for (size_t b = 0; b < buffers.size(); ++b)
      buffers[b].resize(static_cast<size_t>(capacity * plan.floatsPerSample[b]));
    outputs.resize(n);
    states.resize(n);
    size_t largest = 0, mostInputs = 0;
    for (size_t i = 0; i < n; ++i) {
      const Node& node = *nodes[i];
      largest = std::max(largest, static_cast<size_t>(capacity * std::max(node.inSize, node.outSize)));
      mostInputs = std::max(mostInputs, node.inputCount());
      if (training) node.reserveState(states[i], capacity);
    }
    inputs.resize(mostInputs);
    inputGradients.resize(mostInputs);
    if (training) {
      gradients.resize(static_cast<size_t>(gradientSlots));
      for (auto& slot : gradients) slot.resize(largest);
    }
    const int64_t before = bytes;
    bytes = 0;
    for (const auto& buffer : buffers) bytes += bytesOf(buffer);
    for (const auto& slot : gradients) bytes += bytesOf(slot);
    for (const NodeState& state : states) bytes += bytesOf(state.floats) + bytesOf(state.bytes);
    return bytes - before;
  }
};

namespace {

// y += x, count floats: a gradient reaching a node's output along a second path.
void accumulate(int64_t count, const float* x, float* y) {
  for (int64_t i = 0; i < count; ++i) y[i] += x[i];
}

std::string layerName(size_t index) {
  return "layer " + std::to_string(index);
}

}  // namespace

Network::Network(const std::vector<LayerSpec>& layers) {
  if (layers.empty()) throw std::invalid_argument("a network needs at least one layer");
  std::vector<std::vector<int>> nodeInputs;
  inputSize_ = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    std::vector<int> inputs = layers[i].inputs;
    if (inputs.empty()) inputs.push_back(static_cast<int>(i) - 1);
    const size_t firstNode = nodes_.size();
    appendLayerNodes(layers[i], parameters_, nodes_);
    const Node& entry = *nodes_[firstNode];
    if (inputs.size() != entry.inputCount()) {
      throw std::invalid_argument(layerName(i) + " takes " + std::to_string(entry.inputCount()) + " inputs, given " +
                                  std::to_string(inputs.size()));
    }
    // The layer's first node reads the layers it names; each further node reads the one before.
    std::vector<int> firstInputs;
    for (size_t k = 0; k < inputs.size(); ++k) {
      const int source = inputs[k];
      if (source < kNetworkInput || source >= static_cast<int>(i)) {
        throw std::invalid_argument(layerName(i) + " reads layer " + std::to_string(source) +
                                    ", which does not come before it");
      }
      const int64_t expected = entry.inputSize(k);
      if (source == kNetworkInput) {
        if (inputSize_ != 0 && inputSize_ != expected) {
          throw std::invalid_argument(layerName(i) + " takes " + std::to_string(expected) +
                                      " values per sample from the network's input, which another layer reads as " +
                                      std::to_string(inputSize_));
        }
        inputSize_ = expected;
        firstInputs.push_back(kNetworkInput);
        continue;
      }
      const size_t sourceNode = layerLastNodes_[static_cast<size_t>(source)];
      if (nodes_[sourceNode]->outSize != expected) {
        throw std::invalid_argument(layerName(i) + " takes " + std::to_string(expected) + " values per sample" +
                                    (inputs.size() > 1 ? " at input " + std::to_string(k) : std::string()) + " but " +
                                    layerName(static_cast<size_t>(source)) + " produces " +
                                    std::to_string(nodes_[sourceNode]->outSize));
      }
      firstInputs.push_back(static_cast<int>(sourceNode));
    }
    nodeInputs.push_back(std::move(firstInputs));
    for (size_t node = firstNode + 1; node < nodes_.size(); ++node) nodeInputs.push_back({static_cast<int>(node) - 1});
    layerLastNodes_.push_back(nodes_.size() - 1);
  }
  graph_ = std::make_unique<NodeGraph>(std::move(nodeInputs));
  for (size_t i = 0; i + 1 < layers.size(); ++i) {
    if (graph_->consumersOf(layerLastNodes_[i]) == 0) {
      throw std::invalid_argument(
          layerName(i) + "'s output is read by no later layer (only the last layer's is the network's output)");
    }
  }
  if (inputSize_ == 0) throw std::invalid_argument("no layer reads the network's input");
  // An activation fused into the GEMM before it offers its backward to its one consumer, when
  // that consumer reads nothing else (max pooling takes it, routing gradients).
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (graph_->consumersOf(i) != 1) continue;
    for (size_t consumer = i + 1; consumer < nodes_.size(); ++consumer) {
      const std::vector<int>& inputs = graph_->inputsOf(consumer);
      if (inputs.size() == 1 && inputs[0] == static_cast<int>(i))
        nodes_[i]->offerActivationGradientTo(*nodes_[consumer]);
    }
  }
  for (const bool fused : {false, true}) {
    backwardPlans_[fused ? 1 : 0] =
        graph_->backwardPlan(fused, [&](size_t node) { return nodes_[node]->passesGradientThrough(); });
  }
  outputSize_ = nodes_.back()->outSize;
  classes_ = outputSize_;
  std::vector<int64_t> outSizes;
  std::vector<bool> aliases;
  for (const auto& node : nodes_) {
    outSizes.push_back(node->outSize);
    aliases.push_back(node->aliasesInput());
  }
  dedicatedBuffers_ = graph_->dedicatedBuffers(outSizes, aliases);
  sharedBuffers_ = graph_->sharedBuffers(outSizes, aliases);
  training_ = std::make_unique<Workspace>(dedicatedBuffers_);
  countParameterBytes();
}

void Network::countParameterBytes() {
  int64_t bytes = 0;
  for (const Parameter& p : parameters_)
    bytes += bytesOf(p.value) + bytesOf(p.grad) + bytesOf(p.slot0) + bytesOf(p.slot1);
  parameterBytes_ = bytes;
}

Network::~Network() = default;

void Network::compile(LossKind loss, int64_t classes, const OptimizerConfig& optimizer) {
  loss_ = loss;
  classes_ = classes;
  optimizer_ = optimizer;
  optimizerStep_ = 0;
  for (Parameter& parameter : parameters_) {
    parameter.slot0.clear();
    parameter.slot1.clear();
  }
  compiled_ = true;
}

const float* Network::forward(const float* x, int64_t batch, bool training, uint64_t seed, Workspace& workspace) const {
  const int slots = std::max(backwardPlans_[0].slots, backwardPlans_[1].slots);
  workspaceBytes_ += workspace.reserve(nodes_, batch, training, slots);
  Pass pass;
  pass.batch = batch;
  pass.training = training;
  pass.parameters = const_cast<Parameter*>(parameters_.data());
  pass.weightsVersion = weightsVersion_.load();
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const Node& node = *nodes_[i];
    const std::vector<int>& sources = graph_->inputsOf(i);
    for (size_t k = 0; k < sources.size(); ++k) {
      workspace.inputs[k] = sources[k] == kNetworkInput ? x : workspace.outputs[static_cast<size_t>(sources[k])];
    }
    pass.state = &workspace.states[i];
    // Each node draws its own dropout stream from the step's seed.
    pass.seed = seed ^ (0x9E3779B97F4A7C15ull * (i + 1));
    float* out = node.aliasesInput() ? const_cast<float*>(workspace.inputs[0]) : workspace.outputBuffer(i);
    node.forwardInputs(pass, Inputs{workspace.inputs.data(), sources.size()}, out);
    workspace.outputs[i] = out;
  }
  return workspace.outputs.back();
}

const float* Network::lastNodeInput(const float* x, const Workspace& workspace) const {
  const int source = graph_->inputsOf(nodes_.size() - 1).at(0);
  return source == kNetworkInput ? x : workspace.outputs[static_cast<size_t>(source)];
}

namespace {

// Whether the last node is the activation whose gradient the loss computes from logits exactly: a
// softmax only when it normalizes over the loss's class axis.
bool fusesWithLoss(const Node& last, LossKind loss, int64_t classes) {
  const kernels::Activation* kind = last.activationKind();
  if (kind == nullptr) return false;
  if (*kind == kernels::Activation::Softmax) {
    return (loss == LossKind::CategoricalCrossentropy || loss == LossKind::SparseCategoricalCrossentropy) &&
           last.activationAxis() == classes;
  }
  return *kind == kernels::Activation::Sigmoid && loss == LossKind::BinaryCrossentropy;
}

// A sparse loss reads class indices, the others dense targets: a step given the other kind would
// read an array that is not there. Labels were counted for the targets' classes (one per
// position), so those must be the ones compiled.
void requireTargetsOf(LossKind loss, int64_t classes, const Targets& targets) {
  const bool sparse = loss == LossKind::SparseCategoricalCrossentropy;
  if (sparse && targets.labels == nullptr) {
    throw std::invalid_argument(
        "the loss sparseCategoricalCrossentropy takes class indices (an Int32Array), not target values");
  }
  if (!sparse && targets.values == nullptr) {
    throw std::invalid_argument("the model's loss takes target values (a Float32Array), not class indices");
  }
  if (targets.classes != classes) {
    throw std::invalid_argument("the targets were read for " + std::to_string(targets.classes) +
                                " classes but the model is compiled with " + std::to_string(classes));
  }
}

int64_t argmax(const float* row, int64_t n) {
  return std::max_element(row, row + n) - row;
}

// Keras's 'accuracy' for the loss's label form: class match at each of `rows` positions for
// (sparse) categorical losses, thresholded match of every element for binary cross-entropy. Mean
// squared error has none (counted = 0).
void countCorrect(LossKind loss, const float* output, const Targets& targets, int64_t rows, int64_t classes,
                  BatchResult* result) {
  switch (loss) {
    case LossKind::SparseCategoricalCrossentropy:
      for (int64_t r = 0; r < rows; ++r) {
        result->correct += argmax(output + r * classes, classes) == targets.labels[r] ? 1 : 0;
      }
      result->counted = static_cast<double>(rows);
      return;
    case LossKind::CategoricalCrossentropy:
      for (int64_t r = 0; r < rows; ++r) {
        result->correct +=
            argmax(output + r * classes, classes) == argmax(targets.values + r * classes, classes) ? 1 : 0;
      }
      result->counted = static_cast<double>(rows);
      return;
    case LossKind::BinaryCrossentropy:
      for (int64_t i = 0; i < rows * classes; ++i) {
        result->correct += (output[i] > 0.5f) == (targets.values[i] > 0.5f) ? 1 : 0;
      }
      result->counted = static_cast<double>(rows * classes);
      return;
    case LossKind::MeanSquaredError: return;
  }
}

}  // namespace

BatchResult Network::lossAndGradient(LossKind loss, const float* output, const float* preActivation,
                                     const Targets& targets, int64_t batch, float* gradient) const {
  // Each position's class axis is one row of the kernels, so their mean over rows is Keras's mean
  // over positions and samples. The elementwise losses see the same batch * outputSize values.
  const int64_t n = targets.classes;
  const int64_t rows = batch * (outputSize_ / n);
  BatchResult result;
  const bool fused = preActivation != nullptr;
  switch (loss) {
    case LossKind::CategoricalCrossentropy:
      result.loss = fused ? kernels::softmaxCrossEntropyFromLogits(rows, n, preActivation, targets.values, gradient)
                          : kernels::categoricalCrossentropy(rows, n, output, targets.values, gradient);
      break;
    case LossKind::SparseCategoricalCrossentropy:
      result.loss = fused
                        ? kernels::sparseSoftmaxCrossEntropyFromLogits(rows, n, preActivation, targets.labels, gradient)
                        : kernels::sparseCategoricalCrossentropy(rows, n, output, targets.labels, gradient);
      break;
    case LossKind::BinaryCrossentropy:
      result.loss = fused ? kernels::binaryCrossentropyFromLogits(rows, n, preActivation, targets.values, gradient)
                          : kernels::binaryCrossentropy(rows, n, output, targets.values, gradient);
      break;
    case LossKind::MeanSquaredError:
      result.loss = kernels::meanSquaredError(rows, n, output, targets.values, gradient);
      break;
  }
  countCorrect(loss, output, targets, rows, n, &result);
  return result;
}

BatchResult Network::trainStep(const float* x, const Targets& targets, int64_t batch, float learningRate,
                               uint64_t seed) {
  const LossKind loss = loss_.load();
  requireTargetsOf(loss, classes_.load(), targets);
  Workspace& ws = *training_;
  const float* output = forward(x, batch, true, seed, ws);

  const bool fused = fusesWithLoss(*nodes_.back(), loss, targets.classes);
  // With a fused loss, backward starts below the softmax/sigmoid, from the gradient wrt logits.
  const float* logits = fused ? lastNodeInput(x, ws) : nullptr;
  const BackwardPlan& plan = backwardPlan(fused);
  float* lossGradient = plan.lossSlot >= 0 ? ws.gradients[static_cast<size_t>(plan.lossSlot)].data() : nullptr;
  const BatchResult result = lossAndGradient(loss, output, logits, targets, batch, lossGradient);

  Pass pass;
  pass.batch = batch;
  pass.training = true;
  pass.parameters = parameters_.data();
  auto slot = [&](int index) { return index < 0 ? nullptr : ws.gradients[static_cast<size_t>(index)].data(); };
  for (const GradientStep& step : plan.steps) {
    const size_t i = step.node;
    const std::vector<int>& sources = graph_->inputsOf(i);
    if (!step.callsNode) {
      accumulate(batch * nodes_[i]->outSize, slot(step.gradOut), slot(step.addInto[0]));
      continue;
    }
    for (size_t k = 0; k < sources.size(); ++k) {
      ws.inputs[k] = sources[k] == kNetworkInput ? x : ws.outputs[static_cast<size_t>(sources[k])];
      ws.inputGradients[k] = slot(step.gradIn[k]);
    }
    pass.state = &ws.states[i];
    nodes_[i]->backwardInputs(pass, Inputs{ws.inputs.data(), sources.size()}, ws.outputs[i], slot(step.gradOut),
                              InputGradients{ws.inputGradients.data(), sources.size()});
    for (size_t k = 0; k < sources.size(); ++k) {
      if (step.addInto[k] >= 0)
        accumulate(batch * nodes_[i]->inputSize(k), slot(step.gradIn[k]), slot(step.addInto[k]));
    }
  }
  applyOptimizer(learningRate);
  if (optimizerStep_ == 1) countParameterBytes();  // the optimizer state was allocated just now
  return result;
}

void Network::applyOptimizer(float learningRate) {
  ++optimizerStep_;
  ++weightsVersion_;
  if (optimizer_.globalClipNorm > 0.0f) {
    double sumSquares = 0.0;
    for (const Parameter& p : parameters_) {
      if (p.trainable) sumSquares += kernels::sumOfSquares(static_cast<int64_t>(p.grad.size()), p.grad.data());
    }
    const double norm = std::sqrt(sumSquares);
    if (norm > optimizer_.globalClipNorm) {
      const auto factor = static_cast<float>(optimizer_.globalClipNorm / norm);
      for (Parameter& p : parameters_) {
        if (p.trainable) kernels::scaleInPlace(static_cast<int64_t>(p.grad.size()), factor, p.grad.data());
      }
    }
  }
  for (Parameter& p : parameters_) {
    if (!p.trainable) continue;
    const auto count = static_cast<int64_t>(p.value.size());
    if (optimizer_.clipNorm > 0.0f) {
      const double norm = std::sqrt(kernels::sumOfSquares(count, p.grad.data()));
      if (norm > optimizer_.clipNorm) {
        kernels::scaleInPlace(count, static_cast<float>(optimizer_.clipNorm / norm), p.grad.data());
      }
    }
    if (p.slot0.empty()) p.slot0.assign(p.value.size(), 0.0f);
    switch (optimizer_.kind) {
      case OptimizerKind::Sgd:
        kernels::sgdUpdate(count, learningRate, optimizer_.momentum, optimizer_.nesterov, p.value.data(), p.grad.data(),
                           p.slot0.data());
        break;
      case OptimizerKind::RmsProp:
        kernels::rmspropUpdate(count, learningRate, optimizer_.rho, optimizer_.epsilon, p.value.data(), p.grad.data(),
                               p.slot0.data());
        break;
      case OptimizerKind::Adam:
      case OptimizerKind::AdamW:
        if (p.slot1.empty()) p.slot1.assign(p.value.size(), 0.0f);
        kernels::adamUpdate(count, learningRate, optimizer_.beta1, optimizer_.beta2, optimizer_.epsilon, optimizerStep_,
                            optimizer_.kind == OptimizerKind::AdamW ? optimizer_.weightDecay : 0.0f, p.value.data(),
                            p.grad.data(), p.slot0.data(), p.slot1.data());
        break;
    }
  }
}

std::unique_ptr<Workspace> Network::acquireWorkspace() const {
  std::lock_guard<std::mutex> lock(idleMutex_);
  if (idle_.empty()) return std::make_unique<Workspace>(sharedBuffers_);
  std::unique_ptr<Workspace> workspace = std::move(idle_.back());
  idle_.pop_back();
  return workspace;
}

void Network::releaseWorkspace(std::unique_ptr<Workspace> workspace) const {
  // A burst of concurrent predictions should not pin its peak memory forever: keep a few.
  constexpr size_t kMaxIdle = 4;
  std::lock_guard<std::mutex> lock(idleMutex_);
  if (idle_.size() < kMaxIdle) {
    idle_.push_back(std::move(workspace));
  } else {
    workspaceBytes_ -= workspace->bytes;
  }
}

double Network::forwardFlopsPerSample() const {
  double flops = 0.0;
  for (const auto& node : nodes_) flops += node->forwardFlopsPerSample();
  return flops;
}

int64_t Network::outputFloatsPerSample(bool inference) const {
  const auto& sizes = (inference ? sharedBuffers_ : dedicatedBuffers_).floatsPerSample;
  return std::accumulate(sizes.begin(), sizes.end(), int64_t{0});
}

int64_t Network::inferenceSlice() const {
  // As many samples as keep the largest layer output within most of a 1 MiB L2 (8 for the Keras
  // MNIST convnet, measured best among 4..256 there), and at least the 4 images that conv2d hands
  // each thread as one GEMM. Independent of the thread count, so results never depend on it.
  constexpr int64_t kCacheBytesPerThread = 768 * 1024;
  constexpr int64_t kMinSamples = 4;
  constexpr int64_t kMaxSamples = 64;
  int64_t largest = inputSize_;
  for (const auto& node : nodes_) largest = std::max(largest, node->outSize);
  const int64_t fit = kCacheBytesPerThread / (largest * static_cast<int64_t>(sizeof(float)));
  return std::clamp(fit / kMinSamples * kMinSamples, kMinSamples, kMaxSamples);
}

void Network::forEachInferenceSlice(
    const float* x, int64_t batch,
    const std::function<void(int64_t, int64_t, int64_t, const float*, const Workspace&)>& visit) const {
  const int64_t slice = inferenceSlice();
  const int64_t slices = (batch + slice - 1) / slice;
  // Threads take whole slices through the whole network, each in a workspace of its own: one
  // hand-off per call instead of one per layer and slice. A single slice runs on this thread, its
  // layers spread over the pool as usual.
  runtime::parallelFor(slices, 1, [&](int64_t firstSlice, int64_t lastSlice) {
    std::unique_ptr<Workspace> ws = acquireWorkspace();
    for (int64_t index = firstSlice; index < lastSlice; ++index) {
      const int64_t first = index * slice;
      const int64_t count = std::min(slice, batch - first);
      const float* output = forward(x + first * inputSize_, count, false, 0, *ws);
      visit(index, first, count, output, *ws);
    }
    releaseWorkspace(std::move(ws));
  });
}

void Network::predict(const float* x, int64_t batch, float* output) const {
  forEachInferenceSlice(x, batch, [&](int64_t, int64_t first, int64_t count, const float* result, const Workspace&) {
    std::copy(result, result + count * outputSize_, output + first * outputSize_);
  });
}

int64_t Network::layerOutputSize(int64_t layer) const {
  return nodes_.at(layerLastNodes_.at(static_cast<size_t>(layer)))->outSize;
}

void Network::activations(const float* x, int64_t batch, const std::vector<int64_t>& layers, float* output) const {
  // A workspace where every node writes a buffer of its own (or aliases its input), so all layers'
  // outputs are still there at the end; not kept, as this call is rare and its buffers large.
  Workspace ws(dedicatedBuffers_);
  forward(x, batch, false, 0, ws);
  for (const int64_t layer : layers) {
    const int64_t count = batch * layerOutputSize(layer);
    const float* values = ws.outputs[layerLastNodes_.at(static_cast<size_t>(layer))];
    output = std::copy(values, values + count, output);
  }
  workspaceBytes_ -= ws.bytes;
}

BatchResult Network::evaluate(const float* x, const Targets& targets, int64_t batch) const {
  const LossKind loss = loss_.load();
  requireTargetsOf(loss, classes_.load(), targets);
  const bool fused = fusesWithLoss(*nodes_.back(), loss, targets.classes);
  // Slices finish in any order on any thread: each keeps its result, added up in slice order.
  const int64_t slice = inferenceSlice();
  std::vector<BatchResult> results(static_cast<size_t>((batch + slice - 1) / slice));
  forEachInferenceSlice(x, batch,
                        [&](int64_t index, int64_t first, int64_t count, const float* output, const Workspace& ws) {
                          const float* logits = fused ? lastNodeInput(x + first * inputSize_, ws) : nullptr;
                          Targets sliceTargets = targets;
                          if (targets.labels != nullptr) sliceTargets.labels += first * (outputSize_ / targets.classes);
                          if (targets.values != nullptr) sliceTargets.values += first * outputSize_;
                          BatchResult result = lossAndGradient(loss, output, logits, sliceTargets, count, nullptr);
                          result.loss *= static_cast<double>(count) / static_cast<double>(batch);
                          results[static_cast<size_t>(index)] = result;
                        });
  BatchResult total;
  for (const BatchResult& result : results) {
    total.loss += result.loss;
    total.correct += result.correct;
    total.counted += result.counted;
  }
  return total;
}

}  // namespace convkit::model
