// Bindings of the thread pool settings.
#include "binding/args.h"
#include "binding/bindings.h"
#include "runtime/thread_pool.h"

namespace convkit::binding {
namespace {

// setThreads(n): the number of threads kernels use (the calling thread included).
Napi::Value setThreads(const Napi::CallbackInfo& info) {
  Args args(info, "setThreads");
  Napi::Object options = Napi::Object::New(info.Env());
  options.Set("threads", info[0]);
  runtime::setThreads(static_cast<int>(args.integer(options, "threads", 1, 256)));
  return info.Env().Undefined();
}

Napi::Value threads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), runtime::pool()->threads());
}

}  // namespace

void registerRuntime(Napi::Env env, Napi::Object exports) {
  exportFunction(env, exports, "setThreads", setThreads);
  exportFunction(env, exports, "threads", threads);
}

}  // namespace convkit::binding
