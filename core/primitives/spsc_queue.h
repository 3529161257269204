// Bounded single-producer/single-consumer ring: the hand-off between the consumer and each worker.
//
// One thread may call the producer side (try_emplace/try_push), one other thread the consumer side
// (front/pop/try_pop/try_pop_bulk). size()/empty()/capacity() may be called from either.
//
// Layout, after rigtorp/SPSCQueue: the producer's index and the consumer's index each live on
// their own cache line together with that side's cached copy of the peer's index, so in steady
// state each side reads the peer's line only when its cached copy says "full" or "empty".
// Indices run freely (never wrapped); the slot is `index & mask`. The usable capacity is exactly
// the requested one; the slot storage is rounded up to the next power of two so the slot index
// is a mask, and it is a separate cache-line-aligned allocation whose size is a whole number of
// cache lines, so no other object shares a line with the slots.
#pragma once

#include <atomic>
#include <bit>
#include <cassert>
#include <cstddef>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace ringside {

// One destructive-interference unit. 64 on x86_64 and most arm64 cores; a constant (rather than
// std::hardware_destructive_interference_size) so the layout does not change with compiler flags.
inline constexpr std::size_t kCacheLineSize = 64;

template <typename T>
class SpscQueue {
  static_assert(std::is_nothrow_destructible_v<T>, "SpscQueue<T> requires a noexcept destructor");
  static_assert(std::atomic<std::size_t>::is_always_lock_free,
                "SpscQueue needs lock-free atomic size_t indices");

 public:
  using value_type = T;

  explicit SpscQueue(std::size_t capacity)
      : storage_(allocate_storage(capacity)) {}

  ~SpscQueue() {
    static_assert(sizeof(SpscQueue) == 3 * kCacheLineSize,
                  "SpscQueue must be exactly producer line + consumer line + read-only line");
    if constexpr (!std::is_trivially_destructible_v<T>) {
      while (front() != nullptr) pop();
    }
    ::operator delete(storage_.slots, std::align_val_t{kSlotAlign});
  }

  SpscQueue(const SpscQueue&) = delete;
  SpscQueue& operator=(const SpscQueue&) = delete;
  SpscQueue(SpscQueue&&) = delete;
  SpscQueue& operator=(SpscQueue&&) = delete;

  // ---- producer side ----------------------------------------------------------

  // Constructs an element in place; false (and no construction) when the queue is full.
  template <class... Args>
  [[nodiscard]] bool try_emplace(Args&&... args) noexcept(
      std::is_nothrow_constructible_v<T, Args&&...>) {
    static_assert(std::is_constructible_v<T, Args&&...>, "T is not constructible from Args");
    const std::size_t write = producer_.write_index.load(std::memory_order_relaxed);
    if (write - producer_.cached_read_index == storage_.capacity) {
      // Looks full with the stale copy: refresh it from the consumer's line.
      producer_.cached_read_index = consumer_.read_index.load(std::memory_order_acquire);
      if (write - producer_.cached_read_index == storage_.capacity) return false;
    }
    std::construct_at(storage_.slots + (write & storage_.mask), std::forward<Args>(args)...);
    // Publish: the element's construction happens-before the consumer's acquire of the index.
    producer_.write_index.store(write + 1, std::memory_order_release);
    return true;
  }

  [[nodiscard]] bool try_push(const T& value) noexcept(std::is_nothrow_copy_constructible_v<T>)
    requires std::is_copy_constructible_v<T>
  {
    return try_emplace(value);
  }

  [[nodiscard]] bool try_push(T&& value) noexcept(std::is_nothrow_move_constructible_v<T>)
    requires std::is_move_constructible_v<T>
  {
    return try_emplace(std::move(value));
  }

  // ---- consumer side ----------------------------------------------------------

  // The oldest element, or nullptr when empty. Stays valid until pop().
  [[nodiscard]] T* front() noexcept {
    const std::size_t read = consumer_.read_index.load(std::memory_order_relaxed);
    if (read == consumer_.cached_write_index) {
      // Looks empty with the stale copy: refresh it from the producer's line.
      consumer_.cached_write_index = producer_.write_index.load(std::memory_order_acquire);
      if (read == consumer_.cached_write_index) return nullptr;
    }
    return storage_.slots + (read & storage_.mask);
  }

  // Destroys the element front() returned. Precondition: front() != nullptr.
  void pop() noexcept {
    const std::size_t read = consumer_.read_index.load(std::memory_order_relaxed);
    assert(read != producer_.write_index.load(std::memory_order_acquire) && "pop() on an empty queue");
    std::destroy_at(storage_.slots + (read & storage_.mask));
    // Release: the slot's destruction happens-before the producer reuses it.
    consumer_.read_index.store(read + 1, std::memory_order_release);
  }

  // Moves the oldest element into `out`; false when empty.
  [[nodiscard]] bool try_pop(T& out) noexcept(std::is_nothrow_move_assignable_v<T>) {
    T* oldest = front();
    if (oldest == nullptr) return false;
    out = std::move(*oldest);
    pop();
    return true;
  }

  // Moves up to `max_count` elements into out[0..n) and returns n, publishing the freed slots
  // with a single release store (one peer-line round trip per batch instead of per element).
  [[nodiscard]] std::size_t try_pop_bulk(T* out, std::size_t max_count) noexcept(
      std::is_nothrow_move_assignable_v<T>) {
    const std::size_t read = consumer_.read_index.load(std::memory_order_relaxed);
    if (consumer_.cached_write_index - read < max_count) {
      consumer_.cached_write_index = producer_.write_index.load(std::memory_order_acquire);
    }
    const std::size_t available = consumer_.cached_write_index - read;
    const std::size_t n = available < max_count ? available : max_count;
    for (std::size_t i = 0; i < n; ++i) {
      T* slot = storage_.slots + ((read + i) & storage_.mask);
      out[i] = std::move(*slot);
      std::destroy_at(slot);
    }
    if (n != 0) consumer_.read_index.store(read + n, std::memory_order_release);
    return n;
  }

  // ---- either side --------------------------------------------------------------

  // Number of elements; exact only when neither side is running concurrently.
  [[nodiscard]] std::size_t size() const noexcept {
    // Read the consumer's index first: the producer's index read later is never behind it.
    const std::size_t read = consumer_.read_index.load(std::memory_order_acquire);
    const std::size_t write = producer_.write_index.load(std::memory_order_acquire);
    const std::size_t n = write - read;
    return n < storage_.capacity ? n : storage_.capacity;
  }

  [[nodiscard]] bool empty() const noexcept { return size() == 0; }

  // Exactly the capacity passed to the constructor.
  [[nodiscard]] std::size_t capacity() const noexcept { return storage_.capacity; }

 private:
  static constexpr std::size_t kSlotAlign = alignof(T) > kCacheLineSize ? alignof(T) : kCacheLineSize;

  // Written by the producer only; read by the consumer when its cached copy runs out.
  struct alignas(kCacheLineSize) ProducerLine {
    std::atomic<std::size_t> write_index{0};
    std::size_t cached_read_index = 0;
  };
  // Written by the consumer only; read by the producer when its cached copy runs out.
  struct alignas(kCacheLineSize) ConsumerLine {
    std::atomic<std::size_t> read_index{0};
    std::size_t cached_write_index = 0;
  };
  // Never written after construction: shared read-only by both sides.
  struct alignas(kCacheLineSize) Storage {
    std::size_t capacity;  // usable slots, as requested
    std::size_t mask;      // power-of-two slot count - 1
    T* slots;              // uninitialised storage; slots in [read, write) hold live elements
  };

  static_assert(sizeof(ProducerLine) == kCacheLineSize, "producer index must fill exactly one cache line");
  static_assert(sizeof(ConsumerLine) == kCacheLineSize, "consumer index must fill exactly one cache line");
  static_assert(alignof(ProducerLine) == kCacheLineSize && alignof(ConsumerLine) == kCacheLineSize,
                "each index must start its own cache line");
  static_assert(sizeof(Storage) == kCacheLineSize, "read-only fields must fill exactly one cache line");
  static_assert(kSlotAlign % alignof(T) == 0, "slot storage must satisfy T's alignment");

  static Storage allocate_storage(std::size_t capacity) {
    if (capacity == 0) throw std::invalid_argument("spsc queue capacity must be at least 1");
    if (capacity > std::numeric_limits<std::size_t>::max() / 4 / sizeof(T)) {
      throw std::length_error("spsc queue capacity is too large");
    }
    const std::size_t slot_count = std::bit_ceil(capacity);
    // Round the allocation up to whole cache lines so nothing else lives in its last line.
    const std::size_t bytes = (slot_count * sizeof(T) + kSlotAlign - 1) / kSlotAlign * kSlotAlign;
    void* raw = ::operator new(bytes, std::align_val_t{kSlotAlign});
    return Storage{capacity, slot_count - 1, static_cast<T*>(raw)};
  }

  ProducerLine producer_;
  ConsumerLine consumer_;
  const Storage storage_;
};

}  // namespace ringside
