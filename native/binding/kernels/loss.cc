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

// Widths of the dense losses' rows, by the name their params give them.
constexpr char kClasses[] = "classes";
constexpr char kOutputs[] = "outputs";

// ({ batch, <widthField> }, predictions, targets, grad?) for a loss over dense targets.
template <DenseLoss loss, const char* widthField>
Napi::Value denseLoss(Args& args) {
  const Napi::Object params = args.object(0, "params");
  const int64_t batch = args.integer(params, "batch", 1);
  const int64_t width = args.integer(params, widthField, 1);
  const std::string shape = std::string("batch*") + widthField;
  const Extent data{args.product({batch, width}, shape.c_str()), shape.c_str()};
  const auto [predictions, targets, grad] =
      readArrays(args, 1, In{"predictions", data}, In{"targets", data}, Out{"grad", data, Pass::Optional});
  return Napi::Number::New(args.env(), loss(batch, width, predictions, targets, grad));
}

// ({ batch, classes }, predictions, labels, grad?) for a loss over class labels, checking every
// label is a class.
template <SparseLoss loss>
Napi::Value sparseLoss(Args& args) {
  const Napi::Object params = args.object(0, "params");
  const int64_t batch = args.integer(params, "batch", 1);
  const int64_t classes = args.integer(params, "classes", 1);
  const Extent data{args.product({batch, classes}, "batch*classes"), "batch*classes"};
  const auto [predictions, labels, grad] = readArrays(
      args, 1, In{"predictions", data}, InInt32{"labels", {batch, "batch"}}, Out{"grad", data, Pass::Optional});
  const int64_t bad = kernels::findLabelOutOfRange(batch, labels, classes);
  if (bad >= 0) {
    args.throwRangeError("labels[" + std::to_string(bad) + "] is " + std::to_string(labels[bad]) + ", outside [0, " +
                         std::to_string(classes) + ")");
  }
  return Napi::Number::New(args.env(), loss(batch, classes, predictions, labels, grad));
}

}  // namespace

void registerLossKernels(Napi::Env env, Napi::Object target) {
  using namespace kernels;
  exportFunctions(env, target,
                  {
                      {"softmaxCrossEntropyFromLogits", denseLoss<softmaxCrossEntropyFromLogits, kClasses>},
                      {"sparseSoftmaxCrossEntropyFromLogits", sparseLoss<sparseSoftmaxCrossEntropyFromLogits>},
                      {"categoricalCrossentropy", denseLoss<categoricalCrossentropy, kClasses>},
                      {"sparseCategoricalCrossentropy", sparseLoss<sparseCategoricalCrossentropy>},
                      {"binaryCrossentropy", denseLoss<binaryCrossentropy, kOutputs>},
                      {"binaryCrossentropyFromLogits", denseLoss<binaryCrossentropyFromLogits, kOutputs>},
                      {"meanSquaredError", denseLoss<meanSquaredError, kOutputs>},
                  });
}

}  // namespace convkit::binding
