// A layer's kernel packed for its forward GEMM, kept until the network's weights change: inference
// would otherwise pack every layer's weights on every call, about a fifth of the work of
// predicting one image. Concurrent inference calls share one packing; the first to find it stale
// repacks while the others wait, since they need the new one too (packing may use the thread pool,
// whose parallelFor never waits for another caller's job, so this lock cannot deadlock with it).
// Training changes the weights every step, so it repacks once per step, in place: nobody else
// holds the packing then (calls that use it hold a reference), so no step allocates.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

namespace convkit::model {

template <typename Packed>
class PackedKernelCache {
 public:
  template <typename Pack>
  std::shared_ptr<const Packed> get(uint64_t weightsVersion, Pack pack) const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (packed_ == nullptr || version_ != weightsVersion) {
      if (packed_ == nullptr || packed_.use_count() > 1) packed_ = std::make_shared<Packed>();
      pack(*packed_);
      version_ = weightsVersion;
    }
    return packed_;
  }

 private:
  mutable std::mutex mutex_;
  mutable std::shared_ptr<Packed> packed_;
  mutable uint64_t version_ = 0;
};

}  // namespace convkit::model
