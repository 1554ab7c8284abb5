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
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace convkit::runtime {

// How long an idle worker watches for the next job, and the caller for the workers to finish,
// before sleeping on a condition variable.
inline constexpr std::chrono::microseconds kSpinBeforeSleeping{100};

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
  // where chunks begin, varies: bodies must compute each element the same way whatever the split. Jobs from different calling threads
  // run one after the other; a parallelFor inside a chunk runs serially. Bodies needing scratch use
  // thread_local buffers (any thread, including the caller, may run any chunk).
  void parallelFor(int64_t count, int64_t grain, const std::function<void(int64_t, int64_t)>& body);

 private:
  void workerLoop(int index);
  // Claims the next chunk of the current job: a 2 * participants-th of what is left, at least
  // grain_. False when none is left.
  bool claim(int64_t& begin, int64_t& end);
  // Runs chunks of the current job until none is left.
  void runChunks();

  std::vector<std::thread> workers_;
  std::mutex jobMutex_;  // one job at a time
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int64_t, int64_t)>* body_ = nullptr;
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
void parallelFor(int64_t count, int64_t grain, const std::function<void(int64_t, int64_t)>& body);

}  // namespace convkit::runtime
