// addon.kernels.gemm: the GEMM itself, with its epilogue and its packed-B path, for the tests and
// bench/gemm.mjs.
#include "binding/args.h"
#include "binding/bindings.h"
#include "binding/kernels/kernels.h"
#include "binding/specs.h"
#include "kernels/gemm.h"

namespace convkit::binding {
namespace {

// gemm({ m, n, k, transA?, transB?, alpha?, beta?, activation?, activationAlpha?, packB? }, a, b,
// c, columnBias?): dense row-major operands; C = activation(alpha * op(A) op(B) + beta * C + bias).
// packB packs op(B) first and multiplies from the packed copy, the path layers take for weights.
Napi::Value gemm(Args& args) {
  const Napi::Object params = args.object(0, "params");
  const int64_t m = args.integer(params, "m", 1);
  const int64_t n = args.integer(params, "n", 1);
  const int64_t k = args.integer(params, "k", 1);
  const bool transA = args.boolean(params, "transA", false);
  const bool transB = args.boolean(params, "transB", false);
  const Napi::Value alphaValue = params.Get("alpha");
  const Napi::Value betaValue = params.Get("beta");
  const float alpha =
      alphaValue.IsUndefined() ? 1.0f : static_cast<float>(args.number(params, "alpha", -3.4e38, 3.4e38));
  const float beta = betaValue.IsUndefined() ? 0.0f : static_cast<float>(args.number(params, "beta", -3.4e38, 3.4e38));
  const float* a = args.readFloat32(1, "a", args.product({m, k}, "m*k"), "m*k");
  const float* b = args.readFloat32(2, "b", args.product({k, n}, "k*n"), "k*n");
  float* c = args.writeFloat32(3, "c", args.product({m, n}, "m*n"), "m*n");
  const OutputActivation activation = readOutputActivation(args, params, "to be applied in the GEMM epilogue");
  kernels::GemmEpilogue epilogue{nullptr, activation.kind, activation.alpha};
  epilogue.columnBias = args.readOptionalFloat32(4, "columnBias", n, "n");
  const kernels::Transpose opA = transA ? kernels::Transpose::Yes : kernels::Transpose::No;
  const kernels::Transpose opB = transB ? kernels::Transpose::Yes : kernels::Transpose::No;
  if (args.boolean(params, "packB", false)) {
    thread_local kernels::PackedB packed;
    kernels::packB(opB, k, n, b, transB ? k : n, packed);
    kernels::gemmPackedB(opA, m, alpha, a, transA ? m : k, packed, beta, c, n, epilogue);
  } else {
    kernels::gemm(opA, opB, m, n, k, alpha, a, transA ? m : k, b, transB ? k : n, beta, c, n, epilogue);
  }
  return args.env().Undefined();
}

}  // namespace

void registerGemmKernels(Napi::Env env, Napi::Object target) {
  exportFunctions(env, target, {{"gemm", gemm}});
}

}  // namespace convkit::binding
