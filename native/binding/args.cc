#include "binding/args.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <sstream>

namespace convkit::binding {

Args::Args(const Napi::CallbackInfo& info, const char* function) : info_(info), function_(function) {}

void Args::throwTypeError(const std::string& message) const {
  throw Napi::TypeError::New(info_.Env(), std::string(function_) + ": " + message);
}

void Args::throwRangeError(const std::string& message) const {
  throw Napi::RangeError::New(info_.Env(), std::string(function_) + ": " + message);
}

void Args::throwError(const std::string& message) const {
  throw Napi::Error::New(info_.Env(), std::string(function_) + ": " + message);
}

namespace {

// A number as JavaScript would print it (NaN, Infinity, 2147483648, 0.1), not as iostream does
// (nan, inf, 2.14748e+09), so messages show the value the caller passed.
std::string formatNumber(double number) {
  if (std::isnan(number)) return "NaN";
  if (std::isinf(number)) return number > 0 ? "Infinity" : "-Infinity";
  if (std::trunc(number) == number && std::fabs(number) < 1e15) return std::to_string(static_cast<int64_t>(number));
  char text[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(text, sizeof text, "%.*g", precision, number);
    if (std::strtod(text, nullptr) == number) break;
  }
  return text;
}

const char* describeType(const Napi::Value& value) {
  if (value.IsUndefined()) return "undefined";
  if (value.IsNull()) return "null";
  if (value.IsTypedArray()) {
    switch (value.As<Napi::TypedArray>().TypedArrayType()) {
      case napi_int8_array: return "Int8Array";
      case napi_uint8_array: return "Uint8Array";
      case napi_uint8_clamped_array: return "Uint8ClampedArray";
      case napi_int16_array: return "Int16Array";
      case napi_uint16_array: return "Uint16Array";
      case napi_int32_array: return "Int32Array";
      case napi_uint32_array: return "Uint32Array";
      case napi_float32_array: return "Float32Array";
      case napi_float64_array: return "Float64Array";
      default: return "a typed array";
    }
  }
  if (value.IsArray()) return "an Array";
  if (value.IsString()) return "a string";
  if (value.IsNumber()) return "a number";
  if (value.IsBoolean()) return "a boolean";
  if (value.IsFunction()) return "a function";
  if (value.IsObject()) return "an object";
  return "an unsupported value";
}

}  // namespace

Napi::Object Args::object(size_t index, const char* name) const {
  const Napi::Value value = info_[index];
  if (!value.IsObject() || value.IsArray() || value.IsTypedArray() || value.IsFunction()) {
    throwTypeError(std::string(name) + " must be an object, got " + describeType(value));
  }
  return value.As<Napi::Object>();
}

int64_t Args::integer(const Napi::Object& object, const char* field, int64_t min, int64_t max) const {
  const Napi::Value value = object.Get(field);
  if (!value.IsNumber()) {
    throwTypeError(std::string(field) + " must be an integer, got " + describeType(value));
  }
  const double number = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(number) || std::trunc(number) != number) {
    throwRangeError(std::string(field) + " must be an integer, got " + formatNumber(number));
  }
  if (number < static_cast<double>(min) || number > static_cast<double>(max)) {
    std::ostringstream message;
    message << field << " must be in [" << min << ", " << max << "], got " << formatNumber(number);
    throwRangeError(message.str());
  }
  return static_cast<int64_t>(number);
}

double Args::number(const Napi::Object& object, const char* field, double min, double max) const {
  const Napi::Value value = object.Get(field);
  if (!value.IsNumber()) {
    throwTypeError(std::string(field) + " must be a number, got " + describeType(value));
  }
  const double number = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(number) || number < min || number > max) {
    throwRangeError(std::string(field) + " must be a finite number in [" + formatNumber(min) + ", " +
                    formatNumber(max) + "], got " + formatNumber(number));
  }
  return number;
}

bool Args::boolean(const Napi::Object& object, const char* field, bool fallback) const {
  const Napi::Value value = object.Get(field);
  if (value.IsUndefined()) return fallback;
  if (!value.IsBoolean()) {
    throwTypeError(std::string(field) + " must be a boolean, got " + describeType(value));
  }
  return value.As<Napi::Boolean>().Value();
}

kernels::Padding Args::padding(const Napi::Object& object, const char* field, int64_t explicitPads[4]) const {
  const Napi::Value value = object.Get(field);
  for (int i = 0; i < 4; ++i) explicitPads[i] = 0;
  if (value.IsString()) {
    const std::string mode = value.As<Napi::String>().Utf8Value();
    if (mode == "valid") return kernels::Padding::Valid;
    if (mode == "same") return kernels::Padding::Same;
    throwRangeError(std::string(field) + " must be 'valid', 'same' or [top, bottom, left, right], got '" + mode + "'");
  }
  if (!value.IsArray() || value.As<Napi::Array>().Length() != 4) {
    throwTypeError(std::string(field) + " must be 'valid', 'same' or an array [top, bottom, left, right], got " +
                   describeType(value));
  }
  const Napi::Array pads = value.As<Napi::Array>();
  static const char* const kNames[4] = {"top", "bottom", "left", "right"};
  for (uint32_t i = 0; i < 4; ++i) {
    const Napi::Value pad = pads.Get(i);
    const double number = pad.IsNumber() ? pad.As<Napi::Number>().DoubleValue() : -1.0;
    if (!pad.IsNumber() || !std::isfinite(number) || std::trunc(number) != number || number < 0 ||
        number > static_cast<double>(kMaxElements)) {
      throwRangeError(std::string(field) + "[" + std::to_string(i) + "] (" + kNames[i] +
                      ") must be a non-negative integer");
    }
    explicitPads[i] = static_cast<int64_t>(number);
  }
  return kernels::Padding::Explicit;
}

template <typename T>
T* Args::array(size_t index, const char* name, napi_typedarray_type type, const char* typeName, int64_t expected,
               const char* what, bool optional, bool written, Aliasing aliasing) {
  const Napi::Value value = info_[index];
  if (optional && (value.IsUndefined() || value.IsNull())) return nullptr;
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != type) {
    throwTypeError(std::string(name) + " must be " + (typeName[0] == 'I' ? "an " : "a ") + typeName + ", got " +
                   describeType(value));
  }
  const Napi::TypedArray array = value.As<Napi::TypedArray>();
  const int64_t length = static_cast<int64_t>(array.ElementLength());
  // A detached buffer reports length 0, so it fails here like any other wrong length.
  if (length != expected) {
    std::ostringstream message;
    message << name << " must have " << expected << " elements (" << what << "), got " << length;
    if (length == 0) message << " (empty or detached buffer)";
    throwRangeError(message.str());
  }
  T* data = reinterpret_cast<T*>(static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset());
  registerArray({reinterpret_cast<const uint8_t*>(data), length * static_cast<int64_t>(sizeof(T)), name, written,
                 aliasing == Aliasing::MayBeInPlace});
  return data;
}

void Args::registerArray(const Registered& array) {
  for (const Registered& other : arrays_) {
    if (!array.written && !other.written) continue;
    const bool overlaps = array.start < other.start + other.bytes && other.start < array.start + array.bytes;
    if (!overlaps) continue;
    const bool exactlyInPlace =
        (array.inPlace || other.inPlace) && array.start == other.start && array.bytes == other.bytes;
    if (exactlyInPlace) continue;
    throwRangeError(std::string(array.name) + " and " + other.name +
                    " must not share memory (the kernel would read values it has already "
                    "overwritten)");
  }
  arrays_.push_back(array);
}

const float* Args::readFloat32(size_t index, const char* name, int64_t expected, const char* what) {
  return array<float>(index, name, napi_float32_array, "Float32Array", expected, what, false, false,
                      Aliasing::Disjoint);
}

const float* Args::readOptionalFloat32(size_t index, const char* name, int64_t expected, const char* what) {
  return array<float>(index, name, napi_float32_array, "Float32Array", expected, what, true, false, Aliasing::Disjoint);
}

float* Args::writeFloat32(size_t index, const char* name, int64_t expected, const char* what, Aliasing aliasing) {
  return array<float>(index, name, napi_float32_array, "Float32Array", expected, what, false, true, aliasing);
}

float* Args::writeOptionalFloat32(size_t index, const char* name, int64_t expected, const char* what) {
  return array<float>(index, name, napi_float32_array, "Float32Array", expected, what, true, true, Aliasing::Disjoint);
}

const int32_t* Args::readInt32(size_t index, const char* name, int64_t expected, const char* what) {
  return array<int32_t>(index, name, napi_int32_array, "Int32Array", expected, what, false, false, Aliasing::Disjoint);
}

const uint8_t* Args::readUint8(size_t index, const char* name, int64_t expected, const char* what) {
  return array<uint8_t>(index, name, napi_uint8_array, "Uint8Array", expected, what, false, false, Aliasing::Disjoint);
}

uint8_t* Args::writeUint8(size_t index, const char* name, int64_t expected, const char* what) {
  return array<uint8_t>(index, name, napi_uint8_array, "Uint8Array", expected, what, false, true, Aliasing::Disjoint);
}

int64_t Args::product(std::initializer_list<int64_t> sizes, const char* what) const {
  int64_t result = 1;
  for (const int64_t size : sizes) {
    // Division instead of a compiler builtin keeps the overflow check portable to MSVC.
    if (size < 0 || (size != 0 && result > kMaxElements / size)) {
      std::ostringstream message;
      message << what << " is too large (more than " << kMaxElements << " elements)";
      throwRangeError(message.str());
    }
    result *= size;
  }
  return result;
}

}  // namespace convkit::binding
