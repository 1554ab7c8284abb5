// addon.kernels: every kernel family's functions on one object, and the checks they share.
#include "binding/kernels/kernels.h"

#include <sstream>

#include "binding/bindings.h"

namespace convkit::binding {

float floatIn(const Args& args, const Napi::Object& params, const char* field, Interval interval) {
  const double number = args.number(params, field, interval.min, interval.max);
  const float value = static_cast<float>(number);
  if ((interval.openMin && value <= interval.min) || (interval.openMax && value >= interval.max)) {
    std::ostringstream message;
    message << field << " must be a finite number in " << (interval.openMin ? '(' : '[') << interval.min << ", "
            << interval.max << (interval.openMax ? ')' : ']') << ", got " << number;
    if (static_cast<double>(value) != number) message << " (" << value << " as float32)";
    args.throwRangeError(message.str());
  }
  return value;
}

float optionalFloatIn(const Args& args, const Napi::Object& params, const char* field, float fallback,
                      Interval interval) {
  return params.Get(field).IsUndefined() ? fallback : floatIn(args, params, field, interval);
}

const float* readArray(Args& args, size_t index, const In& array) {
  const Extent& e = array.extent;
  return array.pass == Pass::Optional ? args.readOptionalFloat32(index, array.name, e.count, e.what)
                                      : args.readFloat32(index, array.name, e.count, e.what);
}

float* readArray(Args& args, size_t index, const Out& array) {
  const Extent& e = array.extent;
  if (array.pass == Pass::Optional) return args.writeOptionalFloat32(index, array.name, e.count, e.what);
  const Aliasing aliasing = array.pass == Pass::InPlace ? Aliasing::MayBeInPlace : Aliasing::Disjoint;
  return args.writeFloat32(index, array.name, e.count, e.what, aliasing);
}

const uint8_t* readArray(Args& args, size_t index, const InUint8& array) {
  return args.readUint8(index, array.name, array.extent.count, array.extent.what);
}

uint8_t* readArray(Args& args, size_t index, const OutUint8& array) {
  return args.writeUint8(index, array.name, array.extent.count, array.extent.what);
}

const int32_t* readArray(Args& args, size_t index, const InInt32& array) {
  return args.readInt32(index, array.name, array.extent.count, array.extent.what);
}

void registerKernels(Napi::Env env, Napi::Object exports) {
  Napi::Object target = Napi::Object::New(env);
  registerGemmKernels(env, target);
  registerConv2dKernels(env, target);
  registerDepthwiseConv2dKernels(env, target);
  registerDenseKernels(env, target);
  registerPoolingKernels(env, target);
  registerActivationKernels(env, target);
  registerLossKernels(env, target);
  registerBatchNormKernels(env, target);
  registerDropoutKernels(env, target);
  registerOptimizerKernels(env, target);
  exports.Set("kernels", target);
}

}  // namespace convkit::binding
