// The binding files register their functions on the addon's exports: the Network and the backend
// functions the library uses, and addon.kernels, the per-kernel functions for tests and benches
// (kernels/kernels.h).
#pragma once

#include <napi.h>

namespace convkit::binding {

void registerKernels(Napi::Env env, Napi::Object exports);            // addon.kernels (tests, bench)
void registerNetwork(Napi::Env env, Napi::Object exports);            // model::Network
void registerBackendFunctions(Napi::Env env, Napi::Object exports);   // isa, threads, peakFlops

// Sets exports[name] to a native function.
void exportFunction(Napi::Env env, Napi::Object exports, const char* name,
                    Napi::Function::Callback callback);

}  // namespace convkit::binding
