// The addon's thread pool: kernels split their work with parallelFor. Workers sleep on a condition
// variable when idle, after watching for a next job for at most kSpinBeforeSleeping: the jobs of
// one pass (a training step runs dozens) follow one another within microseconds, and a wake-up
// through the kernel costs about as much as a small layer; a service's idle CPU stays idle. The
// calling thread takes a share of every job, so a pool of n threads starts n - 1 workers.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace convkit::runtime {

// How long an idle worker watches for the next job, and the caller for the workers to finish,
// before sleeping on a condition variable.
inline constexpr std::chrono::microseconds kSpinBeforeSleeping{100};

// A reference to the caller's body(begin, end), however it is spelled. parallelFor returns only
// once every chunk has run, so the reference never outlives the callable; and unlike a
// std::function, taking it never allocates (a lambda with more than two captures did, 18 times in
// every kerasMnist training step). It converts implicitly so that a lambda can be passed as is.
class RangeBody {
 public:
  template <typename Body, typename = std::enable_if_t<!std::is_same_v<std::decay_t<Body>, RangeBody>>>
  RangeBody(Body&& body)
      : body_(const_cast<void*>(static_cast<const void*>(&body))), call_([](void* body, int64_t begin, int64_t end) {
          (*static_cast<std::remove_reference_t<Body>*>(body))(begin, end);
        }) {}

  void operator()(int64_t begin, int64_t end) const { call_(body_, begin, end); }

 private:
  void* body_;
  void (*call_)(void* body, int64_t begin, int64_t end);
};

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls body(begin, end) over disjoint chunks covering [0, count), at most threads() at once, and
  // returns when all are done. Chunks are at least `grain` long; each participant claims the next
  // one when it finishes its last (long ones first, then shorter), so a thread slowed by other
  // work on the machine takes fewer and all finish together. Which thread runs which chunk, and
  // where chunks begin, varies: bodies must compute each element the same way whatever the split.
  // The pool runs one job at a time: a caller that finds it busy with another thread's job runs
  // the whole of its own on its own thread, as does a parallelFor inside a chunk. So parallelFor
  // never waits for another caller's job, and a body may take locks without risking a deadlock
  // with the pool. Bodies needing scratch use thread_local buffers (any thread, including the
  // caller, may run any chunk).
  void parallelFor(int64_t count, int64_t grain, RangeBody body);

 private:
  void workerLoop(int index);
  // Claims the next chunk of the current job: a 2 * participants-th of what is left, at least
  // grain_. False when none is left.
  bool claim(int64_t& begin, int64_t& end);
  // Runs chunks of the current job until none is left.
  void runChunks();

  std::vector<std::thread> workers_;
  std::mutex jobMutex_;  // held by the caller whose job the pool runs
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const RangeBody* body_ = nullptr;
  int64_t count_ = 0;
  int64_t grain_ = 1;
  std::atomic<int64_t> next_{0};  // the first element no participant has claimed yet
  int participants_ = 0;
  // Written under mutex_; atomic so that spinning threads may watch them without it.
  std::atomic<int> pending_{0};
  std::atomic<uint64_t> generation_{0};
  bool stopping_ = false;
};

// The pool kernels use. Sized by setThreads (default: CONVKIT_NUM_THREADS, else the hardware
// concurrency), created on first use.
std::shared_ptr<ThreadPool> pool();
void setThreads(int threads);
int defaultThreads();

// parallelFor on the shared pool.
void parallelFor(int64_t count, int64_t grain, RangeBody body);

}  // namespace convkit::runtime
