// Argument conversion and validation for the binding layer. Every value that crosses N-API goes
// through here: a wrong type throws a TypeError, a wrong size or value a RangeError, each naming
// the function, the argument and the expected versus actual value. Nothing here does maths.
#pragma once

#include <napi.h>

#include <cstdint>
#include <initializer_list>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/geometry.h"

namespace convkit::binding {

// Largest element count accepted for one array (the largest typed array V8 can allocate is
// smaller); sizes are checked for overflow against it before any buffer is touched.
constexpr int64_t kMaxElements = int64_t{1} << 40;

// Whether a written array may be the very same memory as an array the kernel reads.
enum class Aliasing { Disjoint, MayBeInPlace };

class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* function);

  Napi::Env env() const { return info_.Env(); }
  const Napi::CallbackInfo& info() const { return info_; }

  // A plain object argument (a kernel's geometry or options).
  Napi::Object object(size_t index, const char* name) const;

  // An integer property of an object, in [min, max].
  int64_t integer(const Napi::Object& object, const char* field, int64_t min, int64_t max = kMaxElements) const;
  // A finite number property of an object, in [min, max].
  double number(const Napi::Object& object, const char* field, double min, double max) const;
  // A boolean property; `fallback` when the property is undefined.
  bool boolean(const Napi::Object& object, const char* field, bool fallback) const;
  // 'valid' | 'same' | [top, bottom, left, right] (explicit, non-negative).
  kernels::Padding padding(const Napi::Object& object, const char* field, int64_t explicitPads[4]) const;

  // Typed-array arguments of exactly `expected` elements; `what` says how `expected` was derived,
  // for the error message (e.g. "batch*height*width*channels"). Kernels read `read*` arrays and
  // write `write*` arrays; a written array may not share memory with any other argument, unless it
  // is declared in-place and is exactly the same memory as the array it replaces.
  const float* readFloat32(size_t index, const char* name, int64_t expected, const char* what);
  // undefined or null give nullptr.
  const float* readOptionalFloat32(size_t index, const char* name, int64_t expected, const char* what);
  float* writeFloat32(size_t index, const char* name, int64_t expected, const char* what,
                      Aliasing aliasing = Aliasing::Disjoint);
  float* writeOptionalFloat32(size_t index, const char* name, int64_t expected, const char* what);
  const int32_t* readInt32(size_t index, const char* name, int64_t expected, const char* what);
  const uint8_t* readUint8(size_t index, const char* name, int64_t expected, const char* what);
  uint8_t* writeUint8(size_t index, const char* name, int64_t expected, const char* what);

  // The product of sizes, or a RangeError naming `what` when it overflows kMaxElements.
  int64_t product(std::initializer_list<int64_t> sizes, const char* what) const;

  [[noreturn]] void throwTypeError(const std::string& message) const;
  [[noreturn]] void throwRangeError(const std::string& message) const;
  [[noreturn]] void throwError(const std::string& message) const;

 private:
  struct Registered {
    const uint8_t* start;
    int64_t bytes;
    const char* name;
    bool written;
    bool inPlace;
  };

  template <typename T>
  T* array(size_t index, const char* name, napi_typedarray_type type, const char* typeName, int64_t expected,
           const char* what, bool optional, bool written, Aliasing aliasing);
  void registerArray(const Registered& array);

  const Napi::CallbackInfo& info_;
  const char* function_;
  std::vector<Registered> arrays_;
};

// Runs `call` (code below the binding), turning any C++ exception it throws into a JavaScript
// error naming the function, so that none escapes N-API as std::terminate: bad input found
// there (std::invalid_argument) and std::bad_alloc become RangeErrors, anything else an Error.
// JavaScript errors pass through.
template <typename Call>
auto rethrowInJavaScript(const Args& args, Call&& call) -> decltype(call()) {
  try {
    return call();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::invalid_argument& error) {
    args.throwRangeError(error.what());
  } catch (const std::bad_alloc&) {
    args.throwRangeError("not enough memory for this call; use smaller arrays");
  } catch (const std::exception& error) {
    args.throwError(error.what());
  } catch (...) {
    args.throwError("unexpected native error");
  }
}

}  // namespace convkit::binding
