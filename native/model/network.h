// A sequential network executed natively: one call runs a whole training step (forward, loss,
// backward, optimizer update) or a whole batch of inference, over buffers preallocated for the
// largest batch seen, so the JavaScript side crosses N-API once per batch and never per layer.
//
// The network owns its parameters. Training needs exclusive access (Network::trainStep mutates
// parameters and the training workspace); inference only reads parameters and runs in a workspace
// of its own, so any number of predictions may run concurrently with each other.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "model/graph.h"
#include "model/layer_spec.h"
#include "model/node.h"

namespace convkit::model {

enum class LossKind { CategoricalCrossentropy, SparseCategoricalCrossentropy, BinaryCrossentropy, MeanSquaredError };
enum class OptimizerKind { Sgd, RmsProp, Adam, AdamW };

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::RmsProp;
  float momentum = 0.0f;
  bool nesterov = false;
  float rho = 0.9f;
  float beta1 = 0.9f, beta2 = 0.999f;
  float epsilon = 1e-7f;
  float weightDecay = 0.0f;
  float clipNorm = 0.0f;        // per parameter tensor, as Keras's clipnorm (0 = off)
  float globalClipNorm = 0.0f;  // over all parameters, as Keras's global_clipnorm (0 = off)
};

// What a step or an evaluation reports: the mean loss and the accuracy numerator/denominator.
struct BatchResult {
  double loss = 0.0;
  double correct = 0.0;
  double counted = 0.0;
};

// Targets of a batch: class indices (sparse losses: one per position, batch * outputSize /
// classes) or a dense array (batch * outputSize), laid out for the class axis `classes`: the
// compiled classes(), which the call checks, as compile may change them before it runs.
struct Targets {
  const int32_t* labels = nullptr;
  const float* values = nullptr;
  int64_t classes = 0;
};

struct Workspace;

class Network {
 public:
  // Layers in topological order, each reading earlier layers or the network's input
  // (LayerSpec::inputs). Throws std::invalid_argument when sizes do not match, a layer reads a
  // later one, or a layer's output is not read (only the last layer's is the network's output).
  explicit Network(const std::vector<LayerSpec>& layers);
  ~Network();

  int64_t inputSize() const { return inputSize_; }
  int64_t outputSize() const { return outputSize_; }
  // Floating-point operations of inference per sample (the GEMM work of conv2d and dense layers).
  double forwardFlopsPerSample() const;
  // Floats per sample of the buffers node outputs are written to: inference's plan, which reuses a
  // buffer once its readers have run, and training's, one per node (backward reads them all).
  int64_t outputFloatsPerSample(bool inference) const;
  int64_t layerCount() const { return static_cast<int64_t>(layerLastNodes_.size()); }
  // Floats per sample a layer outputs (after its fused activation, for conv/dense).
  int64_t layerOutputSize(int64_t layer) const;
  const std::vector<Parameter>& parameters() const { return parameters_; }
  // For writing parameters: counts as changing them (weightsVersion), which is what invalidates
  // the weights that inference keeps packed. Call with no inference running.
  std::vector<Parameter>& mutableParameters() {
    ++weightsVersion_;
    return parameters_;
  }
  // Changes whenever the parameters may have: after each training step and each mutableParameters().
  uint64_t weightsVersion() const { return weightsVersion_.load(); }

  // Sets the loss and optimizer and clears the optimizer's state. Not thread-safe against
  // trainStep; safe against inference and evaluate (each reads the loss once, when it starts).
  // `classes` is the length of the output's last axis (it must divide outputSize): as in Keras,
  // cross-entropies and accuracy run over it at each position (pixel) and average over positions
  // and samples.
  void compile(LossKind loss, int64_t classes, const OptimizerConfig& optimizer);
  bool compiled() const { return compiled_.load(); }
  LossKind loss() const { return loss_.load(); }
  int64_t classes() const { return classes_.load(); }

  // One training step on `batch` samples. Not thread-safe against other calls on this network.
  // Throws std::invalid_argument when the targets' kind (class indices or values) is not the loss's,
  // or their classes are not the compiled ones.
  BatchResult trainStep(const float* x, const Targets& targets, int64_t batch, float learningRate, uint64_t seed);

  // Inference: writes batch * outputSize floats. Safe to call concurrently (own workspace).
  void predict(const float* x, int64_t batch, float* output) const;

  // Inference that keeps what the chosen layers output (after the fused activation of a conv or
  // dense layer): for each index in `layers`, batch * layerOutputSize floats, one layer after the
  // other in `layers`' order, written to `output`. Safe to call concurrently.
  void activations(const float* x, int64_t batch, const std::vector<int64_t>& layers, float* output) const;

  // Inference plus the loss and accuracy against targets. Safe to call concurrently. Throws
  // std::invalid_argument when the targets' kind or classes are not the compiled ones.
  BatchResult evaluate(const float* x, const Targets& targets, int64_t batch) const;

  // Bytes held in the network's buffers (parameters, gradients, optimizer state, workspaces), for
  // reporting to the JavaScript garbage collector. Readable from any thread at any time.
  int64_t allocatedBytes() const { return parameterBytes_.load() + workspaceBytes_.load(); }

 private:
  const float* forward(const float* x, int64_t batch, bool training, uint64_t seed, Workspace& workspace) const;
  BatchResult lossAndGradient(LossKind loss, const float* output, const float* preActivation, const Targets& targets,
                              int64_t batch, float* gradient) const;
  void applyOptimizer(float learningRate);
  // Recounts parameterBytes_; called where parameters may have grown (exclusive access).
  void countParameterBytes();

  // Inference runs the whole network on slices of the batch, so that each layer's output is still
  // in cache when the next layer reads it (a batch of 256 through the Keras MNIST convnet's first
  // layer alone writes 22 MB). Training cannot: its backward needs every layer's output for the
  // whole batch. visit(index, first, count, output, workspace) sees slice `index`'s output, on
  // whichever thread ran it, concurrently with other slices.
  int64_t inferenceSlice() const;
  void forEachInferenceSlice(
      const float* x, int64_t batch,
      const std::function<void(int64_t, int64_t, int64_t, const float*, const Workspace&)>& visit) const;

  // Inference workspaces are reused across calls (allocating and zeroing activation buffers for
  // every prediction would cost more than small batches' compute); each call holds one.
  std::unique_ptr<Workspace> acquireWorkspace() const;
  void releaseWorkspace(std::unique_ptr<Workspace> workspace) const;

  // The plan of trainStep's backward: with the loss fused with the last node or not.
  const BackwardPlan& backwardPlan(bool lossFused) const { return backwardPlans_[lossFused ? 1 : 0]; }
  // The output of the last node's first input for one call: a fused loss's logits.
  const float* lastNodeInput(const float* x, const Workspace& workspace) const;

  std::vector<std::unique_ptr<Node>> nodes_;
  std::unique_ptr<NodeGraph> graph_;
  BackwardPlan backwardPlans_[2];
  BufferPlan dedicatedBuffers_;         // training and activations(): one buffer per node output
  BufferPlan sharedBuffers_;            // predict and evaluate: buffers reused once their readers ran
  std::vector<size_t> layerLastNodes_;  // per layer, its last node (a layer is one or two nodes)
  std::vector<Parameter> parameters_;
  int64_t inputSize_ = 0;
  int64_t outputSize_ = 0;
  std::atomic<bool> compiled_{false};
  std::atomic<LossKind> loss_{LossKind::MeanSquaredError};
  std::atomic<int64_t> classes_{0};
  OptimizerConfig optimizer_;
  int64_t optimizerStep_ = 0;
  std::unique_ptr<Workspace> training_;
  mutable std::mutex idleMutex_;
  mutable std::vector<std::unique_ptr<Workspace>> idle_;
  std::atomic<uint64_t> weightsVersion_{1};
  std::atomic<int64_t> parameterBytes_{0};
  mutable std::atomic<int64_t> workspaceBytes_{0};
};

}  // namespace convkit::model
