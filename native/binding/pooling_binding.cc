#include "binding/args.h"
#include "binding/bindings.h"

namespace convkit::binding {

void registerPoolingKernels(Napi::Env, Napi::Object) {}

}  // namespace convkit::binding
