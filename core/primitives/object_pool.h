// Fixed pool of preallocated objects (the pipeline's Events): one owner hands them out, any of R
// returner threads gives them back, with no locks, no CAS and no allocation after construction.
//
// Threads: exactly one owner thread (the consumer) calls get() and put_local(); returner r
// (0 <= r < returners, one thread each — the workers) calls put(r, object). Everything else is
// callable from any thread.
//
// Design: the owner keeps a private stack of free slot indices. Each returner has its own
// SpscQueue<uint32_t> return ring, sized to the whole pool so put() can never fail (at most
// `capacity` objects are out at once). When the owner's stack runs dry, get() drains all return
// rings into it in bulk. Every slot index is, at any instant, in exactly one place: the owner's
// stack, one return ring, or in the hands of a user — so there is nothing to CAS and no ABA.
// Each object sits on its own cache line(s), so a worker reading one event never false-shares
// with the owner filling the next. An object may own more bytes than sizeof(T) (`object_bytes`,
// fixed at construction): the pipeline's events keep a variable-length record right behind their
// header, sized to the largest record of the programs in a run.
#pragma once

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "spsc_queue.h"

namespace ringside {

template <typename T>
class ObjectPool {
  static_assert(std::is_default_constructible_v<T>, "ObjectPool<T> default-constructs every object up front");
  static_assert(std::atomic<std::size_t>::is_always_lock_free, "ObjectPool needs a lock-free free count");

 public:
  using value_type = T;

  ObjectPool(std::size_t capacity, std::size_t returners, std::size_t object_bytes = sizeof(T))
      : shift_(shift_for(object_bytes)),
        stride_(std::size_t{1} << shift_),
        slots_(make_slots(capacity, stride_)),
        capacity_(capacity),
        free_stack_(std::make_unique<std::uint32_t[]>(capacity)) {
    if (returners == 0) throw std::invalid_argument("object pool needs at least one returner");
    return_rings_.reserve(returners);
    for (std::size_t r = 0; r < returners; ++r) {
      return_rings_.push_back(std::make_unique<SpscQueue<std::uint32_t>>(capacity));
    }
    // Hand out low indices first (stack top = index 0) so a lightly used pool stays compact.
    for (std::size_t i = 0; i < capacity; ++i) {
      free_stack_[i] = static_cast<std::uint32_t>(capacity - 1 - i);
    }
    free_count_.store(capacity, std::memory_order_relaxed);
#ifndef NDEBUG
    handed_out_ = std::make_unique<std::atomic<std::uint8_t>[]>(capacity);
#endif
    static_assert(std::is_nothrow_default_constructible_v<T>, "pooled objects are built in place, all or none");
    for (std::size_t i = 0; i < capacity; ++i) ::new (slots_.get() + i * stride_) T{};
  }

  ~ObjectPool() {
    for (std::size_t i = 0; i < capacity_; ++i) at(i).~T();
  }

  ObjectPool(const ObjectPool&) = delete;
  ObjectPool& operator=(const ObjectPool&) = delete;
  ObjectPool(ObjectPool&&) = delete;
  ObjectPool& operator=(ObjectPool&&) = delete;

  // Owner only. A free object, or nullptr when every object is out (count it as pool_exhausted).
  // The object keeps whatever state its last user left in it.
  [[nodiscard]] T* get() noexcept {
    std::size_t free = free_count_.load(std::memory_order_relaxed);
    if (free == 0) {
      free = drain_return_rings();
      if (free == 0) return nullptr;
    }
    --free;
    free_count_.store(free, std::memory_order_relaxed);
    const std::uint32_t index = free_stack_[free];
    debug_mark_handed_out(index);
    return &at(index);
  }

  // Owner only: gives an object back without going through a return ring.
  void put_local(T* object) noexcept {
    const std::uint32_t index = checked_index(object);
    const std::size_t free = free_count_.load(std::memory_order_relaxed);
    free_stack_[free] = index;
    free_count_.store(free + 1, std::memory_order_relaxed);
  }

  // Returner `returner` only: gives an object back. Never blocks, never fails.
  void put(std::size_t returner, T* object) noexcept {
    assert(returner < return_rings_.size() && "returner index out of range");
    const bool pushed = return_rings_[returner]->try_push(checked_index(object));
    assert(pushed && "return ring overflow: an object was put back more often than it was taken");
    (void)pushed;
  }

  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  // Bytes each object owns from its address on (≥ sizeof(T), a power of two ≥ a cache line).
  [[nodiscard]] std::size_t object_bytes() const noexcept { return stride_; }
  [[nodiscard]] std::size_t returners() const noexcept { return return_rings_.size(); }

  // Objects not handed out: the owner's stack plus everything waiting in return rings.
  // Exact when no thread is concurrently getting or putting.
  [[nodiscard]] std::size_t available_approx() const noexcept {
    std::size_t available = free_count_.load(std::memory_order_relaxed);
    for (const auto& ring : return_rings_) available += ring->size();
    return available < capacity_ ? available : capacity_;
  }

  // Slot index of an object of this pool (0 <= index < capacity()).
  [[nodiscard]] std::size_t index_of(const T* object) const noexcept {
    return byte_offset(object) >> shift_;
  }

  [[nodiscard]] T& at(std::size_t index) noexcept {
    assert(index < capacity_ && "object pool index out of range");
    return *std::launder(reinterpret_cast<T*>(slots_.get() + (index << shift_)));
  }
  [[nodiscard]] const T& at(std::size_t index) const noexcept {
    assert(index < capacity_ && "object pool index out of range");
    return *std::launder(reinterpret_cast<const T*>(slots_.get() + (index << shift_)));
  }

  // True when `object` is one of this pool's objects.
  [[nodiscard]] bool owns(const T* object) const noexcept {
    const std::uintptr_t offset = byte_offset(object);
    return offset < capacity_ * stride_ && (offset & (stride_ - 1)) == 0;
  }

 private:
  static_assert(alignof(T) <= kCacheLineSize, "pooled objects are cache-line aligned, not more");

  // Storage of whole cache lines, released with the matching aligned delete.
  struct LineDelete {
    void operator()(std::byte* p) const noexcept { ::operator delete[](p, std::align_val_t{kCacheLineSize}); }
  };
  using Lines = std::unique_ptr<std::byte[], LineDelete>;

  // Slots of a power-of-two number of bytes, at least a cache line: an object's index is a
  // shift of its offset (put() runs per event; a division there would cost more than the rest).
  static unsigned shift_for(std::size_t object_bytes) noexcept {
    const std::size_t bytes = object_bytes < sizeof(T) ? sizeof(T) : object_bytes;
    unsigned shift = 0;
    while ((std::size_t{1} << shift) < bytes || (std::size_t{1} << shift) < kCacheLineSize) ++shift;
    return shift;
  }

  static Lines make_slots(std::size_t capacity, std::size_t stride) {
    if (capacity == 0) throw std::invalid_argument("object pool capacity must be at least 1");
    if (capacity > std::numeric_limits<std::uint32_t>::max()) {
      throw std::length_error("object pool capacity must fit a 32-bit index");
    }
    return Lines(static_cast<std::byte*>(::operator new[](capacity * stride, std::align_val_t{kCacheLineSize})));
  }

  std::uintptr_t byte_offset(const T* object) const noexcept {
    return reinterpret_cast<std::uintptr_t>(object) - reinterpret_cast<std::uintptr_t>(slots_.get());
  }

  std::uint32_t checked_index(const T* object) noexcept {
    assert(owns(object) && "object was not handed out by this pool");
    const auto index = static_cast<std::uint32_t>(index_of(object));
#ifndef NDEBUG
    assert(handed_out_[index].exchange(0, std::memory_order_relaxed) == 1 && "object put back twice");
#endif
    return index;
  }

  void debug_mark_handed_out([[maybe_unused]] std::uint32_t index) noexcept {
#ifndef NDEBUG
    assert(handed_out_[index].exchange(1, std::memory_order_relaxed) == 0 && "object handed out twice");
#endif
  }

  // Owner: moves every returned index into the (empty) free stack; returns how many.
  std::size_t drain_return_rings() noexcept {
    std::size_t filled = 0;
    for (auto& ring : return_rings_) {
      filled += ring->try_pop_bulk(free_stack_.get() + filled, capacity_ - filled);
    }
    return filled;
  }

  // Read-only after construction, read by every thread.
  const unsigned shift_;
  const std::size_t stride_;
  const Lines slots_;
  const std::size_t capacity_;
  std::vector<std::unique_ptr<SpscQueue<std::uint32_t>>> return_rings_;
  std::unique_ptr<std::atomic<std::uint8_t>[]> handed_out_;  // debug builds: 1 while an object is out

  // Written by the owner on every get/put_local: its own cache line.
  alignas(kCacheLineSize) std::atomic<std::size_t> free_count_{0};
  const std::unique_ptr<std::uint32_t[]> free_stack_;
};

}  // namespace ringside
