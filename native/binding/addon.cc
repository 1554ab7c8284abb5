// Module entry point. The addon keeps no per-process mutable state, so it can be loaded in any
// number of worker_threads at once (Node-API modules are context-aware).
#include <napi.h>

#include "binding/args.h"
#include "binding/bindings.h"

namespace convkit::binding {

void exportFunctions(Napi::Env env, Napi::Object exports, std::initializer_list<NamedFunction> functions) {
  for (const NamedFunction& entry : functions) {
    const char* name = entry.name;
    const BoundFunction function = entry.function;
    exports.Set(name, Napi::Function::New(
                          env,
                          [name, function](const Napi::CallbackInfo& info) {
                            Args args(info, name);
                            return rethrowInJavaScript(args, [&] { return function(args); });
                          },
                          name));
  }
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
  registerKernels(env, exports);
  registerNetwork(env, exports);
  registerBackendFunctions(env, exports);
  return exports;
}

}  // namespace convkit::binding

// NODE_API_MODULE pastes the name into an identifier, so it needs an unqualified one.
static Napi::Object InitConvkit(Napi::Env env, Napi::Object exports) {
  return convkit::binding::init(env, exports);
}

NODE_API_MODULE(convkit, InitConvkit)
