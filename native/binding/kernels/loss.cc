// addon.kernels: the losses; each returns the mean loss and fills `grad` when one is given.
#include <string>

#include "binding/args.h"
#include "binding/bindings.h"
#include "binding/kernels/kernels.h"
#include "kernels/loss.h"
#include "kernels/scan.h"

namespace convkit::binding {
namespace {

using DenseLoss = double (*)(int64_t, int64_t, const float*, const float*, float*);
using SparseLoss = double (*)(int64_t, int64_t, const float*, const int32_t*, float*);

// Reads ({ batch, <widthField> }, predictions, targets, grad?) for a loss over dense targets.
template <DenseLoss loss>
Napi::Value denseLoss(const Napi::CallbackInfo& info, const char* name, const char* widthField) {
  Args args(info, name);
  const Napi::Object params = args.object(0, "params");
  const int64_t batch = args.integer(params, "batch", 1);
  const int64_t width = args.integer(params, widthField, 1);
  const std::string shape = std::string("batch*") + widthField;
  const int64_t count = args.product({batch, width}, shape.c_str());
  const float* predictions = args.readFloat32(1, "predictions", count, shape.c_str());
  const float* targets = args.readFloat32(2, "targets", count, shape.c_str());
  float* grad = args.writeOptionalFloat32(3, "grad", count, shape.c_str());
  return Napi::Number::New(info.Env(), loss(batch, width, predictions, targets, grad));
}

// Reads ({ batch, classes }, predictions, labels, grad?), checking every label is a class.
template <SparseLoss loss>
Napi::Value sparseLoss(const Napi::CallbackInfo& info, const char* name) {
  Args args(info, name);
  const Napi::Object params = args.object(0, "params");
  const int64_t batch = args.integer(params, "batch", 1);
  const int64_t classes = args.integer(params, "classes", 1);
  const int64_t count = args.product({batch, classes}, "batch*classes");
  const float* predictions = args.readFloat32(1, "predictions", count, "batch*classes");
  const int32_t* labels = args.readInt32(2, "labels", batch, "batch");
  float* grad = args.writeOptionalFloat32(3, "grad", count, "batch*classes");
  const int64_t bad = kernels::findLabelOutOfRange(batch, labels, classes);
  if (bad >= 0) {
    args.throwRangeError("labels[" + std::to_string(bad) + "] is " + std::to_string(labels[bad]) +
                         ", outside [0, " + std::to_string(classes) + ")");
  }
  return Napi::Number::New(info.Env(), loss(batch, classes, predictions, labels, grad));
}

Napi::Value softmaxCrossEntropyFromLogits(const Napi::CallbackInfo& info) {
  return denseLoss<kernels::softmaxCrossEntropyFromLogits>(info, "softmaxCrossEntropyFromLogits", "classes");
}
Napi::Value categoricalCrossentropy(const Napi::CallbackInfo& info) {
  return denseLoss<kernels::categoricalCrossentropy>(info, "categoricalCrossentropy", "classes");
}
Napi::Value binaryCrossentropy(const Napi::CallbackInfo& info) {
  return denseLoss<kernels::binaryCrossentropy>(info, "binaryCrossentropy", "outputs");
}
Napi::Value binaryCrossentropyFromLogits(const Napi::CallbackInfo& info) {
  return denseLoss<kernels::binaryCrossentropyFromLogits>(info, "binaryCrossentropyFromLogits", "outputs");
}
Napi::Value meanSquaredError(const Napi::CallbackInfo& info) {
  return denseLoss<kernels::meanSquaredError>(info, "meanSquaredError", "outputs");
}
Napi::Value sparseSoftmaxCrossEntropyFromLogits(const Napi::CallbackInfo& info) {
  return sparseLoss<kernels::sparseSoftmaxCrossEntropyFromLogits>(info, "sparseSoftmaxCrossEntropyFromLogits");
}
Napi::Value sparseCategoricalCrossentropy(const Napi::CallbackInfo& info) {
  return sparseLoss<kernels::sparseCategoricalCrossentropy>(info, "sparseCategoricalCrossentropy");
}

}  // namespace

void registerLossKernels(Napi::Env env, Napi::Object target) {
  exportFunction(env, target, "softmaxCrossEntropyFromLogits", softmaxCrossEntropyFromLogits);
  exportFunction(env, target, "sparseSoftmaxCrossEntropyFromLogits", sparseSoftmaxCrossEntropyFromLogits);
  exportFunction(env, target, "categoricalCrossentropy", categoricalCrossentropy);
  exportFunction(env, target, "sparseCategoricalCrossentropy", sparseCategoricalCrossentropy);
  exportFunction(env, target, "binaryCrossentropy", binaryCrossentropy);
  exportFunction(env, target, "binaryCrossentropyFromLogits", binaryCrossentropyFromLogits);
  exportFunction(env, target, "meanSquaredError", meanSquaredError);
}

}  // namespace convkit::binding
