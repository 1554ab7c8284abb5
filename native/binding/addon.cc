// Module entry point. The addon keeps no per-process mutable state, so it can be loaded in any
// number of worker_threads at once (Node-API modules are context-aware).
#include <napi.h>

#include "binding/args.h"
#include "binding/bindings.h"

namespace convkit::binding {

void exportFunction(Napi::Env env, Napi::Object exports, const char* name,
                    Napi::Function::Callback callback) {
  exports.Set(name, Napi::Function::New(env, [name, callback](const Napi::CallbackInfo& info) {
    const Args args(info, name);
    return rethrowInJavaScript(args, [&] { return callback(info); });
  }, name));
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
