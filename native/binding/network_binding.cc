// Binding of model::Network: a Network object per model, whose training steps and batched
// inference run on libuv worker threads and return Promises (sharp's pattern: arguments are
// validated and converted on the JavaScript thread, Execute touches no N-API, OnOK builds the result).
//
// The arrays handed to the asynchronous methods must stay untouched until their Promise settles;
// the TypeScript layer guarantees it by passing only staging buffers it owns.
//
// Locks, per network: inference (predict, activations, evaluate, reading the weights) shares
// `weights`; a training step and setWeights own it. A waiting step goes before predictions that
// come after it (FairSharedMutex), so serving cannot starve training. A step also holds
// `training`, which compile takes: compile changes the optimizer's state, which only steps read,
// so it never waits for predictions. Calls made on the JavaScript thread never wait for a lock
// (the event loop would stall): they take it or fail at once with a RangeError saying the model
// is busy.
//
// The network's buffers live outside the JavaScript heap, so their size is reported to V8
// (AdjustExternalMemory) whenever it may have changed: the garbage collector then weighs a model
// by what it really holds and collects unreachable ones in time.
#include <cmath>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "binding/args.h"
#include "binding/bindings.h"
#include "binding/layers.h"
#include "kernels/scan.h"
#include "model/network.h"
#include "runtime/fair_shared_mutex.h"

namespace convkit::binding {
namespace {

using model::BatchResult;
using model::LayerSpec;
using model::Network;

// The network and its locks (see the top of this file). Work in flight holds a reference, so a
// disposed or collected model's network lives until that work ends.
struct SharedNetwork {
  explicit SharedNetwork(const std::vector<LayerSpec>& layers) : network(layers) {}
  Network network;
  runtime::FairSharedMutex weights;
  std::mutex training;

  // Tells V8 how much the network's size changed since last told. JavaScript thread only.
  void reportMemory(Napi::Env env) {
    if (released) return;
    const int64_t bytes = network.allocatedBytes();
    Napi::MemoryManagement::AdjustExternalMemory(env, bytes - reportedBytes);
    reportedBytes = bytes;
  }
  int64_t reported() const { return reportedBytes; }
  // Withdraws the report when the model lets go of the network (dispose or garbage collection).
  void releaseMemory(Napi::Env env) {
    Napi::MemoryManagement::AdjustExternalMemory(env, -reportedBytes);
    reportedBytes = 0;
    released = true;
  }

 private:
  int64_t reportedBytes = 0;
  bool released = false;
};

model::OptimizerConfig readOptimizer(Args& args, const Napi::Object& spec) {
  model::OptimizerConfig config;
  const Napi::Value kindValue = spec.Get("kind");
  const std::string kind = kindValue.IsString() ? kindValue.As<Napi::String>().Utf8Value() : "";
  if (kind == "sgd") {
    config.kind = model::OptimizerKind::Sgd;
  } else if (kind == "rmsprop") {
    config.kind = model::OptimizerKind::RmsProp;
  } else if (kind == "adam") {
    config.kind = model::OptimizerKind::Adam;
  } else if (kind == "adamw") {
    config.kind = model::OptimizerKind::AdamW;
  } else {
    args.throwRangeError("optimizer.kind must be sgd, rmsprop, adam or adamw; got '" + kind + "'");
  }
  auto optional = [&](const char* field, float fallback, double min, double max) {
    return spec.Get(field).IsUndefined() ? fallback : static_cast<float>(args.number(spec, field, min, max));
  };
  config.momentum = optional("momentum", 0.0f, 0.0, 1.0);
  config.nesterov = args.boolean(spec, "nesterov", false);
  config.rho = optional("rho", 0.9f, 0.0, 1.0);
  config.beta1 = optional("beta1", 0.9f, 0.0, 0.999999);
  config.beta2 = optional("beta2", 0.999f, 0.0, 0.999999999);
  config.epsilon = optional("epsilon", 1e-7f, 0.0, 1.0);
  config.weightDecay = optional("weightDecay", 0.0f, 0.0, 1e6);
  config.clipNorm = optional("clipNorm", 0.0f, 0.0, 3.4e38);
  config.globalClipNorm = optional("globalClipNorm", 0.0f, 0.0, 3.4e38);
  return config;
}

model::LossKind readLoss(Args& args, const Napi::Object& spec) {
  const Napi::Value value = spec.Get("loss");
  const std::string name = value.IsString() ? value.As<Napi::String>().Utf8Value() : "";
  if (name == "categoricalCrossentropy") return model::LossKind::CategoricalCrossentropy;
  if (name == "sparseCategoricalCrossentropy") return model::LossKind::SparseCategoricalCrossentropy;
  if (name == "binaryCrossentropy") return model::LossKind::BinaryCrossentropy;
  if (name == "meanSquaredError") return model::LossKind::MeanSquaredError;
  args.throwRangeError(
      "loss must be categoricalCrossentropy, sparseCategoricalCrossentropy, binaryCrossentropy or "
      "meanSquaredError; got '" +
      name + "'");
}

// What an asynchronous call resolves with: a BatchResult as { loss, correct, counted }, the
// weights as an array of Float32Arrays, or nothing.
using Weights = std::vector<std::vector<float>>;
struct Nothing {};

Napi::Value toJavaScript(Napi::Env env, const BatchResult& result) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("loss", Napi::Number::New(env, result.loss));
  object.Set("correct", Napi::Number::New(env, result.correct));
  object.Set("counted", Napi::Number::New(env, result.counted));
  return object;
}

// An array of Float32Array copies of valuesAt(0), valuesAt(1), ... (each a std::vector<float>).
template <typename ValuesAt>
Napi::Array float32Arrays(Napi::Env env, size_t count, ValuesAt valuesAt) {
  Napi::Array result = Napi::Array::New(env, count);
  for (uint32_t i = 0; i < count; ++i) {
    const std::vector<float>& values = valuesAt(i);
    Napi::Float32Array array = Napi::Float32Array::New(env, values.size());
    std::copy(values.begin(), values.end(), array.Data());
    result.Set(i, array);
  }
  return result;
}

Napi::Value toJavaScript(Napi::Env env, const Weights& weights) {
  return float32Arrays(env, weights.size(), [&](size_t i) -> const std::vector<float>& { return weights[i]; });
}

Napi::Value toJavaScript(Napi::Env env, Nothing) {
  return env.Undefined();
}

// Runs `work` on a libuv worker thread and settles a Promise with its result. Holds the network
// and references to the JavaScript arrays the work reads or writes so they outlive it. Bad data
// found by the work (std::invalid_argument) rejects with a RangeError.
template <typename Result>
class NetworkWorker final : public Napi::AsyncWorker {
 public:
  using Work = std::function<Result(SharedNetwork&)>;

  // Queues the work and returns its Promise.
  static Napi::Promise start(Napi::Env env, const char* function, std::shared_ptr<SharedNetwork> shared, Work work,
                             std::vector<Napi::Value> keepAlive) {
    auto* worker = new NetworkWorker(env, function, std::move(shared), std::move(work), std::move(keepAlive));
    const Napi::Promise promise = worker->deferred_.Promise();
    worker->Queue();
    return promise;
  }

  void Execute() override {
    try {
      result_ = work_(*shared_);
    } catch (const std::invalid_argument& error) {
      fail(error.what(), true);
    } catch (const std::bad_alloc&) {
      fail("not enough memory for this batch; use a smaller batch size", true);
    } catch (const std::exception& error) {
      fail(error.what(), false);
    } catch (...) {
      fail("unexpected native error", false);
    }
  }

  // Settles the Promise. When the environment is being torn down (its worker_thread was
  // terminated while the work ran) there is nobody to settle it for, and every call into it
  // throws: that must not escape (std::terminate would end the whole process).
  void OnWorkComplete(Napi::Env env, napi_status status) override {
    if (status != napi_cancelled) {
      try {
        const Napi::HandleScope scope(env);
        settle(env);
      } catch (const std::exception&) {
        // Nothing can be reported into an environment that is going away.
      }
    }
    Destroy();
  }

 private:
  NetworkWorker(Napi::Env env, const char* function, std::shared_ptr<SharedNetwork> shared, Work work,
                std::vector<Napi::Value> keepAlive)
      : Napi::AsyncWorker(env, "convkit:network"),
        deferred_(Napi::Promise::Deferred::New(env)),
        function_(function),
        shared_(std::move(shared)),
        work_(std::move(work)) {
    for (const Napi::Value& value : keepAlive) {
      if (value.IsObject()) references_.push_back(Napi::Persistent(value.As<Napi::Object>()));
    }
  }

  void settle(Napi::Env env) {
    shared_->reportMemory(env);
    if (!failed_) {
      deferred_.Resolve(toJavaScript(env, result_));
      return;
    }
    const std::string message = std::string(function_) + ": " + error_;
    deferred_.Reject(rangeError_ ? Napi::RangeError::New(env, message).Value()
                                 : Napi::Error::New(env, message).Value());
  }

  void fail(const char* message, bool rangeError) {
    failed_ = true;
    error_ = message;
    rangeError_ = rangeError;
  }

  Napi::Promise::Deferred deferred_;
  const char* function_;
  std::shared_ptr<SharedNetwork> shared_;
  Work work_;
  Result result_{};
  bool failed_ = false;
  bool rangeError_ = false;
  std::string error_;
  std::vector<Napi::ObjectReference> references_;
};

// Scans inputs (and labels) with the work, so a NaN pixel or a bad label rejects the Promise with
// the sample it is in instead of silently training on, or answering with, garbage.
void checkInputs(const float* x, int64_t batch, int64_t inputSize) {
  const int64_t bad = kernels::findNonFinite(batch * inputSize, x);
  if (bad >= 0) {
    throw std::invalid_argument("x contains a non-finite value (NaN or Infinity) in sample " +
                                std::to_string(bad / inputSize) + " of the batch");
  }
}

void checkBatch(const float* x, int64_t batch, int64_t inputSize, const model::Targets& targets, int64_t outputSize) {
  checkInputs(x, batch, inputSize);
  if (targets.labels != nullptr) {
    const int64_t classes = targets.classes;
    const int64_t positions = outputSize / classes;
    const int64_t label = kernels::findLabelOutOfRange(batch * positions, targets.labels, classes);
    if (label >= 0) {
      const std::string position = positions > 1 ? " at position " + std::to_string(label % positions) : "";
      throw std::invalid_argument("label " + std::to_string(targets.labels[label]) + " in sample " +
                                  std::to_string(label / positions) + position + " of the batch is outside [0, " +
                                  std::to_string(classes) + ")");
    }
  } else if (targets.values != nullptr) {
    const int64_t badTarget = kernels::findNonFinite(batch * outputSize, targets.values);
    if (badTarget >= 0) {
      throw std::invalid_argument("y contains a non-finite value in sample " + std::to_string(badTarget / outputSize) +
                                  " of the batch");
    }
  }
}

class NetworkWrap final : public Napi::ObjectWrap<NetworkWrap> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "Network",
                       {
                           InstanceMethod<&NetworkWrap::getWeights>("getWeights"),
                           InstanceMethod<&NetworkWrap::readWeights>("readWeights"),
                           InstanceMethod<&NetworkWrap::setWeights>("setWeights"),
                           InstanceMethod<&NetworkWrap::compile>("compile"),
                           InstanceMethod<&NetworkWrap::trainStep>("trainStep"),
                           InstanceMethod<&NetworkWrap::evaluateBatch>("evaluateBatch"),
                           InstanceMethod<&NetworkWrap::predict>("predict"),
                           InstanceMethod<&NetworkWrap::predictSync>("predictSync"),
                           InstanceMethod<&NetworkWrap::activations>("activations"),
                           InstanceMethod<&NetworkWrap::dispose>("dispose"),
                           InstanceAccessor<&NetworkWrap::inputSize>("inputSize"),
                           InstanceAccessor<&NetworkWrap::outputSize>("outputSize"),
                           InstanceAccessor<&NetworkWrap::forwardFlopsPerSample>("forwardFlopsPerSample"),
                           InstanceAccessor<&NetworkWrap::outputFloatsPerSample>("outputFloatsPerSample"),
                           InstanceAccessor<&NetworkWrap::externalMemory>("externalMemory"),
                       });
  }

  // new Network(layers: LayerSpec[])
  explicit NetworkWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NetworkWrap>(info) {
    Args args(info, "Network");
    const Napi::Value layersValue = info[0];
    if (!layersValue.IsArray()) args.throwTypeError("layers must be an array of layer specs");
    const Napi::Array layers = layersValue.As<Napi::Array>();
    std::vector<LayerSpec> specs;
    for (uint32_t i = 0; i < layers.Length(); ++i) {
      const Napi::Value spec = layers.Get(i);
      if (!spec.IsObject()) args.throwTypeError("layers[" + std::to_string(i) + "] must be an object");
      // Errors name the layer: "Network: layers[2]: kernel is too large ...".
      const std::string label = "Network: layers[" + std::to_string(i) + "]";
      Args layerArgs(info, label.c_str());
      specs.push_back(readLayer(layerArgs, spec.As<Napi::Object>(), i));
    }
    try {
      network_ = std::make_shared<SharedNetwork>(specs);
    } catch (const std::invalid_argument& error) {
      args.throwRangeError(error.what());
    } catch (const std::bad_alloc&) {
      args.throwRangeError("not enough memory for the network's parameters");
    }
    network_->reportMemory(info.Env());
  }

  void Finalize(Napi::Env env) override {
    if (network_) network_->releaseMemory(env);
  }

 private:
  // The network, or a RangeError once dispose() has let go of it.
  SharedNetwork& live(Args& args) {
    if (!network_) args.throwRangeError("the model was disposed (model.dispose()) and can no longer be used");
    return *network_;
  }
  Network& net(Args& args) { return live(args).network; }

  // dispose(): drops this object's hold on the network; work in flight keeps it until it ends.
  Napi::Value dispose(const Napi::CallbackInfo& info) {
    if (network_) {
      network_->releaseMemory(info.Env());
      network_.reset();
    }
    return info.Env().Undefined();
  }

  // Locks for calls on the JavaScript thread, which must not wait (the event loop would stall):
  // each takes its lock or throws a RangeError saying what the model is busy with.
  template <typename Lock, typename Mutex>
  static Lock lockOrBusy(Args& args, Mutex& mutex, const char* busyWith) {
    Lock lock(mutex, std::try_to_lock);
    if (!lock.owns_lock()) args.throwRangeError(std::string("the model is busy with ") + busyWith + "; await it first");
    return lock;
  }
  std::unique_lock<runtime::FairSharedMutex> ownWeights(Args& args) {
    return lockOrBusy<std::unique_lock<runtime::FairSharedMutex>>(args, live(args).weights,
                                                                  "a training step or prediction");
  }
  std::shared_lock<runtime::FairSharedMutex> shareWeights(Args& args) {
    return lockOrBusy<std::shared_lock<runtime::FairSharedMutex>>(args, live(args).weights, "a training step");
  }

  Napi::Value inputSize(const Napi::CallbackInfo& info) {
    Args args(info, "inputSize");
    return Napi::Number::New(info.Env(), static_cast<double>(net(args).inputSize()));
  }
  Napi::Value outputFloatsPerSample(const Napi::CallbackInfo& info) {
    Args args(info, "outputFloatsPerSample");
    Napi::Object sizes = Napi::Object::New(info.Env());
    sizes.Set("inference", Napi::Number::New(info.Env(), static_cast<double>(net(args).outputFloatsPerSample(true))));
    sizes.Set("training", Napi::Number::New(info.Env(), static_cast<double>(net(args).outputFloatsPerSample(false))));
    return sizes;
  }

  Napi::Value forwardFlopsPerSample(const Napi::CallbackInfo& info) {
    Args args(info, "forwardFlopsPerSample");
    return Napi::Number::New(info.Env(), net(args).forwardFlopsPerSample());
  }
  Napi::Value outputSize(const Napi::CallbackInfo& info) {
    Args args(info, "outputSize");
    return Napi::Number::New(info.Env(), static_cast<double>(net(args).outputSize()));
  }

  // Bytes of native memory currently reported to V8 for this network (0 once disposed).
  Napi::Value externalMemory(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), network_ ? static_cast<double>(network_->reported()) : 0.0);
  }

  // getWeights(): copies of every parameter, in Keras's order.
  Napi::Value getWeights(const Napi::CallbackInfo& info) {
    Args args(info, "getWeights");
    const auto lock = shareWeights(args);
    const auto& parameters = net(args).parameters();
    return float32Arrays(info.Env(), parameters.size(),
                         [&](size_t i) -> const std::vector<float>& { return parameters[i].value; });
  }

  // readWeights() -> Promise<Float32Array[]>: getWeights that waits for a running training step.
  Napi::Value readWeights(const Napi::CallbackInfo& info) {
    Args args(info, "readWeights");
    live(args);
    return NetworkWorker<Weights>::start(info.Env(), "readWeights", network_,
                                         [](SharedNetwork& shared) {
                                           const std::shared_lock<runtime::FairSharedMutex> lock(shared.weights);
                                           Weights weights;
                                           for (const model::Parameter& parameter : shared.network.parameters())
                                             weights.push_back(parameter.value);
                                           return weights;
                                         },
                                         {});
  }

  // setWeights(arrays: Float32Array[]): all validated before any is copied.
  Napi::Value setWeights(const Napi::CallbackInfo& info) {
    Args args(info, "setWeights");
    const auto lock = ownWeights(args);
    auto& parameters = net(args).mutableParameters();
    if (!info[0].IsArray()) args.throwTypeError("weights must be an array of Float32Arrays");
    const Napi::Array arrays = info[0].As<Napi::Array>();
    if (arrays.Length() != parameters.size()) {
      args.throwRangeError("expected " + std::to_string(parameters.size()) + " weight arrays, got " +
                           std::to_string(arrays.Length()));
    }
    std::vector<Napi::Float32Array> checked;
    for (uint32_t i = 0; i < arrays.Length(); ++i) {
      const Napi::Value value = arrays.Get(i);
      const std::string name = "weights[" + std::to_string(i) + "] (" + parameters[i].name + ")";
      if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
        args.throwTypeError(name + " must be a Float32Array");
      }
      const Napi::Float32Array array = value.As<Napi::Float32Array>();
      if (array.ElementLength() != parameters[i].value.size()) {
        args.throwRangeError(name + " must have " + std::to_string(parameters[i].value.size()) + " elements, got " +
                             std::to_string(array.ElementLength()));
      }
      if (kernels::findNonFinite(static_cast<int64_t>(array.ElementLength()), array.Data()) >= 0) {
        args.throwRangeError(name + " contains NaN or Infinity");
      }
      checked.push_back(array);
    }
    for (size_t i = 0; i < checked.size(); ++i) {
      std::copy(checked[i].Data(), checked[i].Data() + checked[i].ElementLength(), parameters[i].value.begin());
    }
    return info.Env().Undefined();
  }

  // compile({ loss, classes?, optimizer: { kind, ... } }): classes is the length of the output's
  // last axis (default: outputSize, a flat output).
  Napi::Value compile(const Napi::CallbackInfo& info) {
    Args args(info, "compile");
    const Napi::Object options = args.object(0, "options");
    const model::LossKind loss = readLoss(args, options);
    const int64_t outputs = net(args).outputSize();
    const int64_t classes = options.Get("classes").IsUndefined() ? outputs : args.integer(options, "classes", 1);
    if (outputs % classes != 0) {
      args.throwRangeError("classes (" + std::to_string(classes) + ") must divide the output size (" +
                           std::to_string(outputs) + "): it is the length of the output's last axis");
    }
    const Napi::Value optimizer = options.Get("optimizer");
    if (!optimizer.IsObject()) args.throwTypeError("optimizer must be an object");
    const model::OptimizerConfig config = readOptimizer(args, optimizer.As<Napi::Object>());
    const auto lock = lockOrBusy<std::unique_lock<std::mutex>>(args, live(args).training, "a training step");
    net(args).compile(loss, classes, config);
    network_->reportMemory(info.Env());
    return info.Env().Undefined();
  }

  // A labelled batch, as trainStep and evaluateBatch take it.
  struct LabelledBatch {
    const float* x = nullptr;
    model::Targets targets;
    int64_t batch = 0;
  };

  // Reads (x, y, { batch }) at args 0..2, for a compiled model: x is batch * inputSize floats;
  // targets are what the compiled loss takes: class indices (Int32Array) for a sparse loss, one
  // per position of each sample's output, else batch * outputSize floats. (The work checks the
  // kind and the classes again against those it runs with.)
  LabelledBatch readBatch(Args& args) {
    requireCompiled(args);
    LabelledBatch b;
    b.batch = args.integer(args.object(2, "options"), "batch", 1);
    b.x = args.readFloat32(0, "x", args.product({b.batch, net(args).inputSize()}, "x"), "batch*inputSize");
    model::Targets& targets = b.targets;
    targets.classes = net(args).classes();
    if (net(args).loss() == model::LossKind::SparseCategoricalCrossentropy) {
      const int64_t positions = net(args).outputSize() / targets.classes;
      targets.labels =
          args.readInt32(1, "y", args.product({b.batch, positions}, "y"),
                         "batch*positions: class indices for the sparse loss, one per position of the output");
    } else {
      targets.values =
          args.readFloat32(1, "y", args.product({b.batch, net(args).outputSize()}, "y"), "batch*outputSize");
    }
    return b;
  }

  void requireCompiled(Args& args) {
    if (!net(args).compiled()) args.throwRangeError("the model must be compiled first");
  }

  // trainStep(x, y, { batch, learningRate, seed }) -> Promise<{ loss, correct, counted }>
  Napi::Value trainStep(const Napi::CallbackInfo& info) {
    Args args(info, "trainStep");
    const LabelledBatch b = readBatch(args);
    const Napi::Object options = args.object(2, "options");
    const auto learningRate = static_cast<float>(args.number(options, "learningRate", 0.0, 1e6));
    const auto seed = static_cast<uint64_t>(args.integer(options, "seed", 0, (int64_t{1} << 53) - 1));
    return NetworkWorker<BatchResult>::start(
        info.Env(), "trainStep", network_,
        [b, learningRate, seed](SharedNetwork& shared) {
          const std::lock_guard<std::mutex> training(shared.training);
          const std::unique_lock<runtime::FairSharedMutex> weights(shared.weights);
          checkBatch(b.x, b.batch, shared.network.inputSize(), b.targets, shared.network.outputSize());
          return shared.network.trainStep(b.x, b.targets, b.batch, learningRate, seed);
        },
        {info[0], info[1]});
  }

  // evaluateBatch(x, y, { batch }) -> Promise<{ loss, correct, counted }>
  Napi::Value evaluateBatch(const Napi::CallbackInfo& info) {
    Args args(info, "evaluateBatch");
    const LabelledBatch b = readBatch(args);
    return NetworkWorker<BatchResult>::start(info.Env(), "evaluateBatch", network_,
                                             [b](SharedNetwork& shared) {
                                               const std::shared_lock<runtime::FairSharedMutex> lock(shared.weights);
                                               checkBatch(b.x, b.batch, shared.network.inputSize(), b.targets,
                                                          shared.network.outputSize());
                                               return shared.network.evaluate(b.x, b.targets, b.batch);
                                             },
                                             {info[0], info[1]});
  }

  // Reads (x, output, { batch }) for the predict methods.
  int64_t readPrediction(Args& args, const float** x, float** output) {
    const int64_t batch = args.integer(args.object(2, "options"), "batch", 1);
    *x = args.readFloat32(0, "x", args.product({batch, net(args).inputSize()}, "x"), "batch*inputSize");
    *output =
        args.writeFloat32(1, "output", args.product({batch, net(args).outputSize()}, "output"), "batch*outputSize");
    return batch;
  }

  // predict(x, output, { batch }) -> Promise<void>
  Napi::Value predict(const Napi::CallbackInfo& info) {
    Args args(info, "predict");
    const float* x = nullptr;
    float* output = nullptr;
    const int64_t batch = readPrediction(args, &x, &output);
    return NetworkWorker<Nothing>::start(info.Env(), "predict", network_,
                                         [x, output, batch](SharedNetwork& shared) {
                                           checkInputs(x, batch, shared.network.inputSize());
                                           const std::shared_lock<runtime::FairSharedMutex> lock(shared.weights);
                                           shared.network.predict(x, batch, output);
                                           return Nothing{};
                                         },
                                         {info[0], info[1]});
  }

  // predictSync(x, output, { batch }): for code already running off the main thread.
  Napi::Value predictSync(const Napi::CallbackInfo& info) {
    Args args(info, "predictSync");
    const float* x = nullptr;
    float* output = nullptr;
    const int64_t batch = readPrediction(args, &x, &output);
    const auto lock = shareWeights(args);
    rethrowInJavaScript(args, [&] {
      checkInputs(x, batch, network_->network.inputSize());
      network_->network.predict(x, batch, output);
    });
    network_->reportMemory(info.Env());
    return info.Env().Undefined();
  }

  // activations(x, output, { batch, layers }) -> Promise<void>: layers are ascending layer
  // indices; output receives, for each, batch * that layer's output size floats, in order.
  Napi::Value activations(const Napi::CallbackInfo& info) {
    Args args(info, "activations");
    const Napi::Object options = args.object(2, "options");
    const int64_t batch = args.integer(options, "batch", 1);
    const Napi::Value layersValue = options.Get("layers");
    if (!layersValue.IsArray()) args.throwTypeError("layers must be an array of layer indices");
    const Napi::Array layerArray = layersValue.As<Napi::Array>();
    if (layerArray.Length() == 0) args.throwRangeError("layers must name at least one layer");
    std::vector<int64_t> layers;
    int64_t perSample = 0;
    for (uint32_t i = 0; i < layerArray.Length(); ++i) {
      const Napi::Value index = layerArray.Get(i);
      const double number = index.IsNumber() ? index.As<Napi::Number>().DoubleValue() : -1.0;
      const int64_t lowest = layers.empty() ? 0 : layers.back() + 1;
      if (!index.IsNumber() || std::trunc(number) != number || number < static_cast<double>(lowest) ||
          number >= static_cast<double>(net(args).layerCount())) {
        args.throwRangeError("layers[" + std::to_string(i) + "] must be a layer index in [0, " +
                             std::to_string(net(args).layerCount()) + "), above the one before it; got " +
                             (index.IsNumber() ? index.ToString().Utf8Value() : std::string("a non-number")));
      }
      layers.push_back(static_cast<int64_t>(number));
      perSample += net(args).layerOutputSize(layers.back());
    }
    const float* x = args.readFloat32(0, "x", args.product({batch, net(args).inputSize()}, "x"), "batch*inputSize");
    float* output = args.writeFloat32(1, "output", args.product({batch, perSample}, "output"),
                                      "batch*sum of the layers' output sizes");
    return NetworkWorker<Nothing>::start(info.Env(), "activations", network_,
                                         [x, output, batch, layers](SharedNetwork& shared) {
                                           checkInputs(x, batch, shared.network.inputSize());
                                           const std::shared_lock<runtime::FairSharedMutex> lock(shared.weights);
                                           shared.network.activations(x, batch, layers, output);
                                           return Nothing{};
                                         },
                                         {info[0], info[1]});
  }

  std::shared_ptr<SharedNetwork> network_;
};

}  // namespace

void registerNetwork(Napi::Env env, Napi::Object exports) {
  exports.Set("Network", NetworkWrap::define(env));
  exports.Set("layerKinds", layerKindNames(env));
}

}  // namespace convkit::binding
