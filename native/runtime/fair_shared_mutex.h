// A reader-writer lock in which a waiting writer goes before readers that arrive after it.
// std::shared_mutex on glibc prefers readers: a model served by a steady stream of predictions
// never let its training step in. Here a step waits only for the predictions already running,
// and those that come meanwhile wait for the step. Meets the standard SharedMutex requirements,
// so std::unique_lock and std::shared_lock work with it.
#pragma once

#include <condition_variable>
#include <mutex>

namespace convkit::runtime {

class FairSharedMutex {
 public:
  void lock() {
    std::unique_lock<std::mutex> guard(mutex_);
    ++waitingWriters_;
    writerGate_.wait(guard, [&] { return !writing_ && readers_ == 0; });
    --waitingWriters_;
    writing_ = true;
  }

  bool try_lock() {
    std::lock_guard<std::mutex> guard(mutex_);
    if (writing_ || readers_ > 0) return false;
    writing_ = true;
    return true;
  }

  void unlock() {
    {
      std::lock_guard<std::mutex> guard(mutex_);
      writing_ = false;
    }
    // The readers that waited go on unless another writer is waiting already.
    readerGate_.notify_all();
    writerGate_.notify_one();
  }

  void lock_shared() {
    std::unique_lock<std::mutex> guard(mutex_);
    readerGate_.wait(guard, [&] { return !writing_ && waitingWriters_ == 0; });
    ++readers_;
  }

  bool try_lock_shared() {
    std::lock_guard<std::mutex> guard(mutex_);
    if (writing_ || waitingWriters_ > 0) return false;
    ++readers_;
    return true;
  }

  void unlock_shared() {
    bool last = false;
    {
      std::lock_guard<std::mutex> guard(mutex_);
      last = --readers_ == 0;
    }
    if (last) writerGate_.notify_one();
  }

 private:
  std::mutex mutex_;
  std::condition_variable readerGate_;
  std::condition_variable writerGate_;
  int readers_ = 0;
  int waitingWriters_ = 0;
  bool writing_ = false;
};

}  // namespace convkit::runtime
