// SpscQueue: element lifetimes, full/empty edges, wrap-around, and threaded FIFO checksums.
#include "spsc_queue.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <thread>
#include <vector>

namespace ringside {
namespace {

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr std::uint64_t kThreadedItems = 1'000'000;  // sanitizers run ~10-50x slower
#else
constexpr std::uint64_t kThreadedItems = 10'000'000;
#endif

// Counts every construction and destruction so tests can prove each object dies exactly once.
struct Tracked {
  static inline int constructed = 0;
  static inline int destroyed = 0;
  static inline int copies = 0;
  static void reset_counts() { constructed = destroyed = copies = 0; }
  static int alive() { return constructed - destroyed; }

  int value;
  explicit Tracked(int v) : value(v) { ++constructed; }
  Tracked(const Tracked& o) : value(o.value) { ++constructed; ++copies; }
  Tracked(Tracked&& o) noexcept : value(o.value) { ++constructed; }
  Tracked& operator=(const Tracked& o) { value = o.value; ++copies; return *this; }
  Tracked& operator=(Tracked&& o) noexcept { value = o.value; return *this; }
  ~Tracked() { ++destroyed; }
};

TEST(SpscQueue, EveryConstructedElementIsDestroyedOnceIncludingLeftovers) {
  Tracked::reset_counts();
  {
    SpscQueue<Tracked> q(8);
    for (int i = 0; i < 6; ++i) ASSERT_TRUE(q.try_emplace(i));
    EXPECT_EQ(Tracked::alive(), 6);
    ASSERT_NE(q.front(), nullptr);
    q.pop();
    Tracked out(-1);
    ASSERT_TRUE(q.try_pop(out));
    EXPECT_EQ(out.value, 1);
    EXPECT_EQ(Tracked::alive(), 5);  // 4 left in the queue + `out`
  }  // queue destroyed with 4 elements still inside
  EXPECT_EQ(Tracked::alive(), 0);
  EXPECT_EQ(Tracked::constructed, Tracked::destroyed);
}

TEST(SpscQueue, EmplaceConstructsInPlaceWithoutCopies) {
  Tracked::reset_counts();
  {
    SpscQueue<Tracked> q(2);
    ASSERT_TRUE(q.try_emplace(7));
    EXPECT_EQ(Tracked::constructed, 1);
    const Tracked lvalue(8);
    ASSERT_TRUE(q.try_push(lvalue));
    EXPECT_EQ(Tracked::copies, 1);
    EXPECT_EQ(q.front()->value, 7);
  }
  EXPECT_EQ(Tracked::alive(), 0);
}

TEST(SpscQueue, FullQueueRejectsWithoutConstructing) {
  Tracked::reset_counts();
  {
    SpscQueue<Tracked> q(2);
    ASSERT_TRUE(q.try_emplace(1));
    ASSERT_TRUE(q.try_emplace(2));
    const int before = Tracked::constructed;
    EXPECT_FALSE(q.try_emplace(3));
    EXPECT_EQ(Tracked::constructed, before);
    EXPECT_EQ(q.size(), 2u);
  }
  EXPECT_EQ(Tracked::alive(), 0);
}

TEST(SpscQueue, CapacityIsExactlyWhatWasAskedEvenWhenNotAPowerOfTwo) {
  for (std::size_t capacity : {1u, 2u, 3u, 5u, 7u, 8u, 100u}) {
    SpscQueue<int> q(capacity);
    EXPECT_EQ(q.capacity(), capacity);
    for (std::size_t i = 0; i < capacity; ++i) ASSERT_TRUE(q.try_push(static_cast<int>(i))) << capacity;
    EXPECT_FALSE(q.try_push(-1)) << capacity;
    EXPECT_EQ(q.size(), capacity);
  }
}

TEST(SpscQueue, EmptyEdges) {
  SpscQueue<int> q(1);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.front(), nullptr);
  int out = 42;
  EXPECT_FALSE(q.try_pop(out));
  EXPECT_EQ(out, 42);
  EXPECT_EQ(q.try_pop_bulk(&out, 1), 0u);
  ASSERT_TRUE(q.try_push(5));
  EXPECT_FALSE(q.empty());
  EXPECT_FALSE(q.try_push(6));
  ASSERT_TRUE(q.try_pop(out));
  EXPECT_EQ(out, 5);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.front(), nullptr);
}

TEST(SpscQueue, ZeroCapacityIsRejected) {
  EXPECT_THROW(SpscQueue<int>(0), std::invalid_argument);
}

TEST(SpscQueue, WrapsAroundManyTimesInFifoOrder) {
  SpscQueue<std::uint64_t> q(3);  // 4 slots of storage, 3 usable: the mask and the limit differ
  std::uint64_t next_in = 0;
  std::uint64_t next_out = 0;
  for (int round = 0; round < 1000; ++round) {
    const int burst = 1 + round % 3;
    for (int i = 0; i < burst; ++i) ASSERT_TRUE(q.try_push(next_in++));
    for (int i = 0; i < burst; ++i) {
      std::uint64_t v = 0;
      ASSERT_TRUE(q.try_pop(v));
      ASSERT_EQ(v, next_out++);
    }
  }
  EXPECT_TRUE(q.empty());
}

TEST(SpscQueue, BulkPopTakesAtMostWhatIsThereInOrder) {
  SpscQueue<int> q(5);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(q.try_push(i));
  int out[8] = {};
  ASSERT_EQ(q.try_pop_bulk(out, 2), 2u);
  EXPECT_EQ(out[0], 0);
  EXPECT_EQ(out[1], 1);
  ASSERT_TRUE(q.try_push(5));
  ASSERT_TRUE(q.try_push(6));  // wraps
  ASSERT_EQ(q.try_pop_bulk(out, 8), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(out[i], i + 2);
  EXPECT_TRUE(q.empty());
}

TEST(SpscQueue, MoveOnlyElements) {
  SpscQueue<std::unique_ptr<int>> q(2);
  ASSERT_TRUE(q.try_push(std::make_unique<int>(3)));
  ASSERT_TRUE(q.try_emplace(new int(4)));
  std::unique_ptr<int> out;
  ASSERT_TRUE(q.try_pop(out));
  EXPECT_EQ(*out, 3);
  // The second one is freed by the queue's destructor (ASan reports a leak otherwise).
}

TEST(SpscQueue, LayoutKeepsIndicesOnSeparateCacheLines) {
  EXPECT_EQ(alignof(SpscQueue<int>), kCacheLineSize);
  EXPECT_EQ(sizeof(SpscQueue<int>), 3 * kCacheLineSize);
  struct alignas(128) OverAligned {
    char bytes[128];
  };
  SpscQueue<OverAligned> q(3);
  ASSERT_TRUE(q.try_emplace());
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(q.front()) % 128, 0u);
}

// Producer pushes 1..N; the consumer checks strict FIFO order and the total.
TEST(SpscQueue, ThreadedChecksumInOrder) {
  SpscQueue<std::uint64_t> q(1024);
  std::uint64_t pushed_sum = 0;
  std::thread producer([&] {
    for (std::uint64_t i = 1; i <= kThreadedItems; ++i) {
      while (!q.try_push(i)) std::this_thread::yield();
      pushed_sum += i;
    }
  });
  std::uint64_t popped_sum = 0;
  std::uint64_t expected = 1;
  bool in_order = true;
  while (expected <= kThreadedItems) {
    const std::uint64_t* v = q.front();
    if (v == nullptr) {
      std::this_thread::yield();
      continue;
    }
    in_order &= (*v == expected);
    popped_sum += *v;
    ++expected;
    q.pop();
  }
  producer.join();
  EXPECT_TRUE(in_order);
  EXPECT_EQ(popped_sum, pushed_sum);
  EXPECT_EQ(popped_sum, kThreadedItems * (kThreadedItems + 1) / 2);
  EXPECT_TRUE(q.empty());
}

// Heap-owning elements cross threads: ASan/TSan see every allocation freed exactly once.
TEST(SpscQueue, ThreadedNonTrivialElementsWithBulkPop) {
  const std::uint64_t items = kThreadedItems / 10;
  SpscQueue<std::unique_ptr<std::uint64_t>> q(64);
  std::thread producer([&] {
    for (std::uint64_t i = 1; i <= items; ++i) {
      auto p = std::make_unique<std::uint64_t>(i);
      while (!q.try_push(std::move(p))) std::this_thread::yield();
    }
  });
  std::vector<std::unique_ptr<std::uint64_t>> batch(16);
  std::uint64_t expected = 1;
  std::uint64_t popped_sum = 0;
  bool in_order = true;
  while (expected <= items) {
    const std::size_t n = q.try_pop_bulk(batch.data(), batch.size());
    if (n == 0) std::this_thread::yield();
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t v = batch[i] ? *batch[i] : 0;
      in_order &= (v == expected);
      popped_sum += v;
      ++expected;
      batch[i].reset();
    }
  }
  producer.join();
  EXPECT_TRUE(in_order);
  EXPECT_EQ(popped_sum, items * (items + 1) / 2);
}

}  // namespace
}  // namespace ringside
