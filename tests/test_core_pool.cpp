// ObjectPool: exhaustion and recovery, accounting, and a multi-returner stress test proving no
// slot is ever handed out twice.
#include "object_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <set>
#include <thread>
#include <vector>


namespace ringside {
namespace {

// A pooled object of an event's size and alignment.
struct alignas(64) Event {
  std::uint64_t words[8];
};

}  // namespace

namespace {

constexpr std::uint64_t kStressCycles = 1'000'000;  // ~4 s under TSan on 2 busy cores

TEST(ObjectPool, HandsOutEverySlotOnceThenNullptr) {
  ObjectPool<Event> pool(16, 1);
  EXPECT_EQ(pool.capacity(), 16u);
  std::set<std::size_t> indices;
  std::vector<Event*> taken;
  for (int i = 0; i < 16; ++i) {
    Event* e = pool.get();
    ASSERT_NE(e, nullptr);
    EXPECT_TRUE(pool.owns(e));
    EXPECT_EQ(&pool.at(pool.index_of(e)), e);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(e) % kCacheLineSize, 0u) << "objects must not share lines";
    indices.insert(pool.index_of(e));
    taken.push_back(e);
  }
  EXPECT_EQ(indices.size(), 16u);
  EXPECT_EQ(*indices.rbegin(), 15u);
  EXPECT_EQ(pool.get(), nullptr);
  EXPECT_EQ(pool.get(), nullptr);  // exhaustion is a state, not a crash
  EXPECT_EQ(pool.available_approx(), 0u);
  for (Event* e : taken) pool.put_local(e);
}

TEST(ObjectPool, RecoversAfterPutsThroughReturnRingsAndLocally) {
  ObjectPool<Event> pool(2, 2);
  Event* a = pool.get();
  Event* b = pool.get();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(pool.get(), nullptr);

  pool.put(1, b);  // via returner 1's ring
  EXPECT_EQ(pool.available_approx(), 1u);
  EXPECT_EQ(pool.get(), b);
  EXPECT_EQ(pool.get(), nullptr);

  pool.put_local(a);
  EXPECT_EQ(pool.get(), a);

  pool.put(0, a);
  pool.put(1, b);
  EXPECT_EQ(pool.available_approx(), 2u);
  std::set<Event*> again{pool.get(), pool.get()};
  EXPECT_EQ(again, (std::set<Event*>{a, b}));
  EXPECT_EQ(pool.get(), nullptr);
  pool.put_local(a);
  pool.put_local(b);
}

TEST(ObjectPool, AvailableCountsEveryPlaceAnObjectCanBe) {
  ObjectPool<int> pool(10, 3);
  EXPECT_EQ(pool.available_approx(), 10u);
  EXPECT_EQ(pool.returners(), 3u);
  std::vector<int*> out;
  for (int i = 0; i < 7; ++i) out.push_back(pool.get());
  EXPECT_EQ(pool.available_approx(), 3u);
  pool.put(0, out[0]);
  pool.put(2, out[1]);
  pool.put(2, out[2]);
  pool.put_local(out[3]);
  EXPECT_EQ(pool.available_approx(), 7u);
  for (int i = 4; i < 7; ++i) pool.put(1, out[static_cast<std::size_t>(i)]);
  EXPECT_EQ(pool.available_approx(), 10u);
  // All ten come back out, each once.
  std::set<int*> all;
  for (int i = 0; i < 10; ++i) all.insert(pool.get());
  EXPECT_EQ(all.size(), 10u);
  EXPECT_EQ(all.count(nullptr), 0u);
  EXPECT_EQ(pool.get(), nullptr);
  for (int* p : all) pool.put_local(p);
}

TEST(ObjectPool, OwnsOnlyItsOwnObjects) {
  ObjectPool<Event> pool(4, 1);
  Event foreign{};
  EXPECT_FALSE(pool.owns(&foreign));
  const Event* inside = &pool.at(1);
  EXPECT_TRUE(pool.owns(inside));
  EXPECT_FALSE(pool.owns(reinterpret_cast<const Event*>(reinterpret_cast<const char*>(inside) + 8)));
  EXPECT_FALSE(pool.owns(&pool.at(3) + 2));
}

TEST(ObjectPool, RejectsUnusableSizes) {
  EXPECT_THROW(ObjectPool<int>(0, 1), std::invalid_argument);
  EXPECT_THROW(ObjectPool<int>(4, 0), std::invalid_argument);
}

#ifndef NDEBUG
TEST(ObjectPoolDeathTest, DebugBuildsCatchForeignAndDoublePuts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  ObjectPool<int> pool(2, 1);
  int foreign = 0;
  EXPECT_DEATH(pool.put(0, &foreign), "not handed out by this pool");
  int* p = pool.get();
  pool.put(0, p);
  EXPECT_DEATH(pool.put(0, p), "put back twice");
}
#endif

// An object that records who holds it: the owner claims it from "free" (-1) to a worker id, the
// worker releases it back to -1. A failed claim or release means one slot was out twice.
struct Tagged {
  std::atomic<int> holder{-1};
  std::uint64_t sequence = 0;
};

TEST(ObjectPool, StressOwnerAndThreeReturnersNeverShareASlot) {
  constexpr int kWorkers = 3;
  constexpr std::size_t kPoolSize = 64;  // small, so the pool runs dry and drains rings often
  ObjectPool<Tagged> pool(kPoolSize, kWorkers);
  std::vector<std::unique_ptr<SpscQueue<Tagged*>>> to_worker;
  for (int w = 0; w < kWorkers; ++w) to_worker.push_back(std::make_unique<SpscQueue<Tagged*>>(32));

  std::atomic<std::uint64_t> violations{0};
  std::atomic<std::uint64_t> returned{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      std::uint64_t last_sequence = 0;
      for (;;) {
        Tagged* t = nullptr;
        if (!to_worker[static_cast<std::size_t>(w)]->try_pop(t)) {
          std::this_thread::yield();
          continue;
        }
        if (t == nullptr) return;  // stop signal
        // Per-worker FIFO: sequences must strictly increase.
        if (t->sequence <= last_sequence) violations.fetch_add(1, std::memory_order_relaxed);
        last_sequence = t->sequence;
        int expected = w;
        if (!t->holder.compare_exchange_strong(expected, -1)) violations.fetch_add(1, std::memory_order_relaxed);
        pool.put(static_cast<std::size_t>(w), t);
        returned.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }

  std::uint64_t handed = 0;
  std::uint64_t exhausted = 0;
  std::uint64_t local = 0;
  for (std::uint64_t seq = 1; handed + local < kStressCycles; ++seq) {
    Tagged* t = pool.get();
    if (t == nullptr) {
      ++exhausted;
      std::this_thread::yield();
      continue;
    }
    const int w = static_cast<int>(seq % kWorkers);
    int expected = -1;
    if (!t->holder.compare_exchange_strong(expected, w)) violations.fetch_add(1, std::memory_order_relaxed);
    if (seq % 7 == 0) {  // sometimes the owner uses an object itself and returns it locally
      t->holder.store(-1);
      pool.put_local(t);
      ++local;
      continue;
    }
    t->sequence = seq;
    if (!to_worker[static_cast<std::size_t>(w)]->try_push(t)) {  // worker busy: undo and keep it
      t->holder.store(-1);
      pool.put_local(t);
      ++local;
      continue;
    }
    ++handed;
  }
  for (auto& q : to_worker) {
    while (!q->try_push(nullptr)) std::this_thread::yield();
  }
  for (auto& w : workers) w.join();

  EXPECT_EQ(violations.load(), 0u);
  EXPECT_EQ(returned.load(), handed);
  EXPECT_EQ(pool.available_approx(), kPoolSize);
  // Every slot comes out exactly once more, all released.
  std::set<Tagged*> all;
  for (std::size_t i = 0; i < kPoolSize; ++i) {
    Tagged* t = pool.get();
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->holder.load(), -1);
    all.insert(t);
  }
  EXPECT_EQ(all.size(), kPoolSize);
  EXPECT_EQ(pool.get(), nullptr);
  RecordProperty("exhausted", static_cast<int>(exhausted));
}

}  // namespace
}  // namespace ringside
