// A tiny N-API addon with a deliberate data race, for the ThreadSanitizer run's self-check
// (scripts/test-tsan.mjs): it proves that a race inside an addon, between a libuv worker thread
// and the JavaScript thread, is reported and fails the process under exactly the Node, preloaded
// runtime and TSAN_OPTIONS the tests run with. CMakeLists.txt builds it with the addon's own
// sanitizer flags when CONVKIT_RACE_PROBE is on; it is never part of the shipped addon.
//
//   writeFromBothThreads(locked) -> Promise: queues async work whose Execute (on a libuv worker)
//   increments a counter, then increments it on the JavaScript thread too. Unlocked, nothing
//   orders the two writes: a race whatever the timing. Locked, both hold one mutex: the control,
//   which must run clean.
#include <mutex>

#include <napi.h>

namespace {

long sharedCounter = 0;
std::mutex counterMutex;

void incrementCounter(bool locked) {
  if (locked) {
    std::lock_guard<std::mutex> hold(counterMutex);
    ++sharedCounter;
  } else {
    ++sharedCounter;
  }
}

class IncrementOnWorker : public Napi::AsyncWorker {
 public:
  IncrementOnWorker(Napi::Env env, bool locked) : Napi::AsyncWorker(env), locked_(locked), done_(env) {}

  Napi::Promise promise() const { return done_.Promise(); }

  void Execute() override { incrementCounter(locked_); }
  void OnOK() override { done_.Resolve(Napi::Number::New(Env(), static_cast<double>(sharedCounter))); }

 private:
  bool locked_;
  Napi::Promise::Deferred done_;
};

Napi::Value writeFromBothThreads(const Napi::CallbackInfo& info) {
  const bool locked = info[0].ToBoolean().Value();
  auto* worker = new IncrementOnWorker(info.Env(), locked);  // deletes itself when done
  Napi::Promise promise = worker->promise();
  worker->Queue();
  incrementCounter(locked);
  return promise;
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("writeFromBothThreads", Napi::Function::New(env, writeFromBothThreads));
  return exports;
}

}  // namespace

NODE_API_MODULE(race_probe, init)
