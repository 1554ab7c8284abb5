#include "runtime/thread_pool.h"

#include <algorithm>
#include <cstdlib>
#include <memory>

#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
#include <emmintrin.h>
#endif

namespace convkit::runtime {

namespace {

// Set while a thread runs a chunk: a nested parallelFor runs serially instead of deadlocking.
thread_local bool insideJob = false;

struct JobScope {
  JobScope() { insideJob = true; }
  ~JobScope() { insideJob = false; }
};

// Tells the core this thread is spinning (it then yields pipeline resources to its sibling).
inline void relaxWhileSpinning() {
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
  _mm_pause();
#elif defined(__aarch64__) && (defined(__GNUC__) || defined(__clang__))
  asm volatile("yield");
#else
  std::this_thread::yield();
#endif
}

// Polls ready() for up to kSpinBeforeSleeping; whether it became true.
template <typename Ready>
bool spinUntil(Ready ready) {
  const auto deadline = std::chrono::steady_clock::now() + kSpinBeforeSleeping;
  for (int polls = 1;; ++polls) {
    if (ready()) return true;
    if (polls % 64 == 0 && std::chrono::steady_clock::now() >= deadline) return false;
    relaxWhileSpinning();
  }
}

}  // namespace

ThreadPool::ThreadPool(int threads) {
  const int workers = std::max(threads, 1) - 1;
  workers_.reserve(static_cast<size_t>(workers));
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this, i] { workerLoop(i + 1); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

bool ThreadPool::claim(int64_t& begin, int64_t& end) {
  int64_t start = next_.load(std::memory_order_relaxed);
  for (;;) {
    if (start >= count_) return false;
    const int64_t size = std::max(grain_, (count_ - start) / (2 * participants_));
    if (next_.compare_exchange_weak(start, start + size, std::memory_order_relaxed)) {
      begin = start;
      end = std::min(count_, start + size);
      return true;
    }
  }
}

void ThreadPool::runChunks() {
  int64_t begin = 0;
  int64_t end = 0;
  while (claim(begin, end)) (*body_)(begin, end);
}

void ThreadPool::workerLoop(int index) {
  uint64_t seen = 0;
  for (;;) {
    spinUntil([&] { return generation_.load(std::memory_order_acquire) != seen; });
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_.load(std::memory_order_relaxed) != seen; });
      if (stopping_) return;
      seen = generation_.load(std::memory_order_relaxed);
      if (index >= participants_) continue;
    }
    {
      const JobScope scope;
      runChunks();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (--pending_ == 0) done_.notify_one();
  }
}

void ThreadPool::parallelFor(int64_t count, int64_t grain, RangeBody body) {
  if (count <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t maxParticipants = std::min<int64_t>(threads(), (count + grain - 1) / grain);
  // A caller that finds the pool busy with another thread's job runs its own alone rather than
  // wait for it: the running job's chunks may be waiting for a lock this caller holds (a layer's
  // packed-weights cache, say), and the pool's threads are busy anyway.
  std::unique_lock<std::mutex> job(jobMutex_, std::defer_lock);
  if (maxParticipants <= 1 || insideJob || !job.try_lock()) {
    body(0, count);
    return;
  }
  const JobScope scope;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    body_ = &body;
    count_ = count;
    grain_ = grain;
    participants_ = static_cast<int>(maxParticipants);
    next_.store(0, std::memory_order_relaxed);
    pending_ = participants_ - 1;
    ++generation_;
  }
  wake_.notify_all();
  runChunks();
  spinUntil([&] { return pending_.load(std::memory_order_acquire) == 0; });
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [&] { return pending_.load(std::memory_order_relaxed) == 0; });
  body_ = nullptr;
}

namespace {

std::mutex poolMutex;
// Shared ownership: a job running while setThreads replaces the pool keeps the old one alive.
std::shared_ptr<ThreadPool> sharedPool;
int requestedThreads = 0;

}  // namespace

int defaultThreads() {
  if (const char* env = std::getenv("CONVKIT_NUM_THREADS")) {
    const int n = std::atoi(env);
    if (n > 0) return std::min(n, 256);
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

std::shared_ptr<ThreadPool> pool() {
  std::lock_guard<std::mutex> lock(poolMutex);
  if (!sharedPool)
    sharedPool = std::make_shared<ThreadPool>(requestedThreads > 0 ? requestedThreads : defaultThreads());
  return sharedPool;
}

void setThreads(int threads) {
  std::lock_guard<std::mutex> lock(poolMutex);
  requestedThreads = std::max(threads, 1);
  if (sharedPool && sharedPool->threads() != requestedThreads) sharedPool.reset();
}

void parallelFor(int64_t count, int64_t grain, RangeBody body) {
  pool()->parallelFor(count, grain, body);
}

}  // namespace convkit::runtime
