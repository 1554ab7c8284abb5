#include "binding/args.h"
#include "binding/bindings.h"

namespace convkit::binding {

void registerTrainingKernels(Napi::Env, Napi::Object) {}

}  // namespace convkit::binding
