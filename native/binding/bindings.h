// The binding files register their functions on the addon's exports: the Network and the backend
// functions the library uses, and addon.kernels, the per-kernel functions for tests and benches
// (kernels/kernels.h).
#pragma once

#include <napi.h>

#include <initializer_list>

#include "binding/args.h"

namespace convkit::binding {

void registerKernels(Napi::Env env, Napi::Object exports);           // addon.kernels (tests, bench)
void registerNetwork(Napi::Env env, Napi::Object exports);           // model::Network
void registerBackendFunctions(Napi::Env env, Napi::Object exports);  // isa, threads, peakFlops

// A bound function: it reads its arguments through `args`, which names the function in every
// error, and returns its result (undefined for kernels that only write into their arrays).
using BoundFunction = Napi::Value (*)(Args& args);

struct NamedFunction {
  const char* name;
  BoundFunction function;
};

// Sets exports[name] to each function, called with an Args of that name; C++ exceptions it
// throws reach JavaScript as errors naming it (rethrowInJavaScript).
void exportFunctions(Napi::Env env, Napi::Object exports, std::initializer_list<NamedFunction> functions);

}  // namespace convkit::binding
