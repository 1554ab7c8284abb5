// Bindings of the backend's settings: which ISA the kernels were dispatched to, which ones this CPU
// supports, the measured multiply-add peak of each (for benchmarks), and the thread pool's size.
#include <string>

#include "binding/args.h"
#include "binding/bindings.h"
#include "kernels/isa/dispatch.h"
#include "runtime/thread_pool.h"

namespace convkit::binding {
namespace {

using kernels::Isa;

// isa() -> the ISA every kernel of this process uses ("scalar", "avx2", "avx512" or "neon").
Napi::Value isa(Args& args) {
  return Napi::String::New(args.env(), kernels::isaName(kernels::activeIsa()));
}

// availableIsas() -> the ISAs this build carries and this CPU runs, narrowest first.
Napi::Value availableIsas(Args& args) {
  const Napi::Env env = args.env();
  Napi::Array names = Napi::Array::New(env);
  uint32_t count = 0;
  for (Isa candidate : kernels::kAllIsas) {
    if (kernels::isaAvailable(candidate)) names.Set(count++, kernels::isaName(candidate));
  }
  return names;
}

// peakFlops(isa, seconds) -> floating-point operations per second of the ISA's multiply-add loop
// on the calling thread, measured for about `seconds` (at most 10).
Napi::Value peakFlops(Args& args) {
  const Napi::CallbackInfo& info = args.info();
  if (info.Length() < 1 || !info[0].IsString()) args.throwTypeError("isa must be a string");
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  const Isa* chosen = nullptr;
  for (const Isa& candidate : kernels::kAllIsas) {
    if (name == kernels::isaName(candidate) && kernels::isaAvailable(candidate)) chosen = &candidate;
  }
  if (chosen == nullptr) args.throwRangeError("isa " + name + " is not available on this CPU");
  if (info.Length() < 2 || !info[1].IsNumber()) args.throwTypeError("seconds must be a number");
  const double seconds = info[1].As<Napi::Number>().DoubleValue();
  if (!(seconds > 0.0 && seconds <= 10.0)) {
    args.throwRangeError("seconds must be in (0, 10], got " + std::to_string(seconds));
  }
  return Napi::Number::New(info.Env(), kernels::measurePeakFlops(*chosen, seconds));
}

// setThreads(n): the number of threads kernels use (the calling thread included).
Napi::Value setThreads(Args& args) {
  Napi::Object options = Napi::Object::New(args.env());
  options.Set("threads", args.info()[0]);
  runtime::setThreads(static_cast<int>(args.integer(options, "threads", 1, 256)));
  return args.env().Undefined();
}

Napi::Value threads(Args& args) {
  return Napi::Number::New(args.env(), runtime::pool()->threads());
}

}  // namespace

void registerBackendFunctions(Napi::Env env, Napi::Object exports) {
  exportFunctions(env, exports,
                  {
                      {"setThreads", setThreads},
                      {"threads", threads},
                      {"isa", isa},
                      {"availableIsas", availableIsas},
                      {"peakFlops", peakFlops},
                  });
}

}  // namespace convkit::binding
