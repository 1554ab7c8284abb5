// Each kernel family's binding file registers its functions on the addon's exports.
#pragma once

#include <napi.h>

namespace convkit::binding {

void registerLinearKernels(Napi::Env env, Napi::Object exports);      // gemm, conv2d, dense
void registerPoolingKernels(Napi::Env env, Napi::Object exports);     // pooling
void registerActivationKernels(Napi::Env env, Napi::Object exports);  // activations, maxout
void registerLossKernels(Napi::Env env, Napi::Object exports);        // losses
void registerTrainingKernels(Napi::Env env, Napi::Object exports);    // dropout, batch norm, optimizers
void registerNetwork(Napi::Env env, Napi::Object exports);            // model::Network
void registerBackendFunctions(Napi::Env env, Napi::Object exports);   // isa, threads, peakFlops

// Sets exports[name] to a native function.
void exportFunction(Napi::Env env, Napi::Object exports, const char* name,
                    Napi::Function::Callback callback);

}  // namespace convkit::binding
