// addon.kernels: the activation kernels, PReLU and maxout.
#include "binding/args.h"
#include "binding/bindings.h"
#include "binding/kernels/kernels.h"
#include "binding/specs.h"
#include "kernels/activation.h"

namespace convkit::binding {
namespace {

struct ActivationCall {
  kernels::Activation kind;
  float alpha;
  int64_t rows, cols;
  Extent data;  // x, y and their gradients
};

// { kind, alpha?, rows, cols }
ActivationCall readActivationCall(Args& args) {
  const Napi::Object params = args.object(0, "params");
  ActivationCall call{};
  call.kind = readActivation(args, params, "kind");
  call.alpha = params.Get("alpha").IsUndefined() ? 0.0f : static_cast<float>(args.number(params, "alpha", -1e6, 1e6));
  call.rows = args.integer(params, "rows", 1);
  call.cols = args.integer(params, "cols", 1);
  call.data = {args.product({call.rows, call.cols}, "rows*cols"), "rows*cols"};
  return call;
}

// activationForward(params, x, y): y may be x itself.
Napi::Value activationForward(Args& args) {
  const ActivationCall c = readActivationCall(args);
  const auto [x, y] = readArrays(args, 1, In{"x", c.data}, Out{"y", c.data, Pass::InPlace});
  kernels::activationForward(c.kind, c.alpha, c.rows, c.cols, x, y);
  return args.env().Undefined();
}

// activationBackward(params, x, y, gradY, gradX): gradX may be gradY itself.
Napi::Value activationBackward(Args& args) {
  const ActivationCall c = readActivationCall(args);
  const auto [x, y, gradY, gradX] =
      readArrays(args, 1, In{"x", c.data}, In{"y", c.data}, In{"gradY", c.data}, Out{"gradX", c.data, Pass::InPlace});
  if (gradX != gradY && (gradX == x || gradX == y)) args.throwRangeError("gradX may only share memory with gradY");
  kernels::activationBackward(c.kind, c.alpha, c.rows, c.cols, x, y, gradY, gradX);
  return args.env().Undefined();
}

struct PreluCall {
  int64_t rows, channels;
  Extent data, slopes;  // x, y and their gradients; alpha and its gradient
};

// { rows, channels }
PreluCall readPreluCall(Args& args) {
  const Napi::Object params = args.object(0, "params");
  PreluCall call{};
  call.rows = args.integer(params, "rows", 1);
  call.channels = args.integer(params, "channels", 1);
  call.data = {args.product({call.rows, call.channels}, "rows*channels"), "rows*channels"};
  call.slopes = {call.channels, "channels"};
  return call;
}

// preluForward(params, x, alpha, y): y may be x itself.
Napi::Value preluForward(Args& args) {
  const PreluCall c = readPreluCall(args);
  const auto [x, alpha, y] =
      readArrays(args, 1, In{"x", c.data}, In{"alpha", c.slopes}, Out{"y", c.data, Pass::InPlace});
  kernels::preluForward(c.rows, c.channels, x, alpha, y);
  return args.env().Undefined();
}

// preluBackward(params, x, alpha, gradY, gradX, gradAlpha): gradX may be gradY itself.
Napi::Value preluBackward(Args& args) {
  const PreluCall c = readPreluCall(args);
  const auto [x, alpha, gradY, gradX, gradAlpha] =
      readArrays(args, 1, In{"x", c.data}, In{"alpha", c.slopes}, In{"gradY", c.data},
                 Out{"gradX", c.data, Pass::InPlace}, Out{"gradAlpha", c.slopes});
  kernels::preluBackward(c.rows, c.channels, x, alpha, gradY, gradX, gradAlpha);
  return args.env().Undefined();
}

struct MaxoutCall {
  int64_t rows, units, pieces;
  Extent in, out;  // x and gradX; y and gradY
};

// { rows, units, pieces }
MaxoutCall readMaxoutCall(Args& args) {
  const Napi::Object params = args.object(0, "params");
  MaxoutCall call{};
  call.rows = args.integer(params, "rows", 1);
  call.units = args.integer(params, "units", 1);
  call.pieces = args.integer(params, "pieces", 1);
  call.in = {args.product({call.rows, call.units, call.pieces}, "rows*units*pieces"), "rows*units*pieces"};
  call.out = {call.rows * call.units, "rows*units"};
  return call;
}

// maxoutForward(params, x, y)
Napi::Value maxoutForward(Args& args) {
  const MaxoutCall c = readMaxoutCall(args);
  const auto [x, y] = readArrays(args, 1, In{"x", c.in}, Out{"y", c.out});
  kernels::maxoutForward(c.rows, c.units, c.pieces, x, y);
  return args.env().Undefined();
}

// maxoutBackward(params, x, gradY, gradX)
Napi::Value maxoutBackward(Args& args) {
  const MaxoutCall c = readMaxoutCall(args);
  const auto [x, gradY, gradX] = readArrays(args, 1, In{"x", c.in}, In{"gradY", c.out}, Out{"gradX", c.in});
  kernels::maxoutBackward(c.rows, c.units, c.pieces, x, gradY, gradX);
  return args.env().Undefined();
}

}  // namespace

void registerActivationKernels(Napi::Env env, Napi::Object target) {
  exportFunctions(env, target,
                  {
                      {"activationForward", activationForward},
                      {"activationBackward", activationBackward},
                      {"preluForward", preluForward},
                      {"preluBackward", preluBackward},
                      {"maxoutForward", maxoutForward},
                      {"maxoutBackward", maxoutBackward},
                  });
}

}  // namespace convkit::binding
