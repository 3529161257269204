// Google Benchmark of the core primitives against the libraries a user would pick instead:
// SPSC throughput and round trip (ours vs moodycamel::ReaderWriterQueue vs boost::lockfree),
// 1 -> N fan-out (per-worker SPSC routed by key vs one moodycamel::ConcurrentQueue), the event
// pool, histogram recording and the record copy.
#include <benchmark/benchmark.h>
#include <pthread.h>
#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <atomic>
#include <boost/lockfree/spsc_queue.hpp>
#include <cmath>
#include <cstring>
#include <concurrentqueue/concurrentqueue.h>
#include <cstdint>
#include <ctime>
#include <memory>
#include <random>
#include <readerwriterqueue/readerwriterqueue.h>
#include <string>
#include <thread>
#include <vector>

#include "histogram.h"
#include "object_pool.h"
#include "event.h"
#include "record_format.h"
#include "spsc_queue.h"

namespace ringside {
namespace {

constexpr std::size_t kQueueCapacity = 4096;
constexpr std::uint64_t kBatch = 1 << 14;  // items per timed iteration in the threaded benchmarks

// ---- CPU placement ------------------------------------------------------------------------------

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  }
  return cpus;
}

const std::vector<int>& cpus() {
  static const std::vector<int> list = allowed_cpus();
  return list;
}

// Pins the calling thread to the slot-th allowed CPU (mod count) and restores its mask on exit.
// Does nothing when fewer than two CPUs are allowed: pinning would only serialise the threads.
class ScopedPin {
 public:
  explicit ScopedPin(std::size_t slot) {
    if (cpus().size() < 2) return;
    pinned_ = pthread_getaffinity_np(pthread_self(), sizeof(saved_), &saved_) == 0;
    if (!pinned_) return;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpus()[slot % cpus().size()], &one);
    pinned_ = pthread_setaffinity_np(pthread_self(), sizeof(one), &one) == 0;
  }
  ~ScopedPin() {
    if (pinned_) pthread_setaffinity_np(pthread_self(), sizeof(saved_), &saved_);
  }
  ScopedPin(const ScopedPin&) = delete;
  ScopedPin& operator=(const ScopedPin&) = delete;

 private:
  cpu_set_t saved_{};
  bool pinned_ = false;
};

// One wait loop's back-off, the same for every queue: spin while each thread has its own CPU, but
// yield after a short spin (or at once when threads outnumber CPUs) — on a shared machine a
// spinning thread whose peer was preempted only burns the peer's chance to run.
class SpinThenYield {
 public:
  explicit SpinThenYield(std::size_t threads) : yield_now_(threads > cpus().size()) {}
  void operator()() {
    if (yield_now_ || ++spins_ == kSpinsBeforeYield) {
      spins_ = 0;
      std::this_thread::yield();
    }
  }
  void reset() { spins_ = 0; }

 private:
  static constexpr unsigned kSpinsBeforeYield = 512;
  bool yield_now_;
  unsigned spins_ = 0;
};

// ---- queue adapters: one push/pop interface over the three SPSC queues ----------------------------

struct Payload64 {
  std::uint64_t words[8];
};
static_assert(sizeof(Payload64) == 64, "the by-value element must be one kernel record's size");

template <class T>
struct OurSpsc {
  using value_type = T;
  SpscQueue<T> q{kQueueCapacity};
  bool push(const T& v) { return q.try_push(v); }
  bool pop(T& v) { return q.try_pop(v); }
};

template <class T>
struct MoodycamelRwq {
  using value_type = T;
  moodycamel::ReaderWriterQueue<T> q{kQueueCapacity};
  bool push(const T& v) { return q.try_enqueue(v); }  // try_: never allocates
  bool pop(T& v) { return q.try_dequeue(v); }
};

template <class T>
struct BoostSpsc {
  using value_type = T;
  boost::lockfree::spsc_queue<T> q{kQueueCapacity};  // run-time capacity, like ours
  bool push(const T& v) { return q.push(v); }
  bool pop(T& v) { return q.pop(v); }
};

std::vector<Event>& event_arena() {
  static std::vector<Event> events(kQueueCapacity);
  return events;
}

template <class T>
T make_item(std::uint64_t i) {
  if constexpr (std::is_same_v<T, Event*>) {
    return &event_arena()[i % kQueueCapacity];
  } else {
    T item{};
    item.words[0] = i;
    return item;
  }
}

template <class T>
std::uint64_t checksum_of(const T& item) {
  if constexpr (std::is_same_v<T, Event*>) {
    return reinterpret_cast<std::uintptr_t>(item);
  } else {
    return item.words[0];
  }
}

// ---- (a) SPSC throughput, (b) SPSC round trip -----------------------------------------------------

// Producer (pinned to CPU slot 0) pushes kBatch items per iteration; the iteration ends when the
// consumer (slot 1) has popped them all, so the rate is end to end, not just the producer's.
template <class Queue>
void BM_SpscThroughput(benchmark::State& state) {
  using T = typename Queue::value_type;
  auto queue = std::make_unique<Queue>();
  alignas(kCacheLineSize) std::atomic<std::uint64_t> consumed{0};
  alignas(kCacheLineSize) std::atomic<bool> stop{false};
  std::thread consumer([&] {
    ScopedPin pin(1);
    T item{};
    std::uint64_t n = 0;
    std::uint64_t checksum = 0;
    SpinThenYield idle(2);
    while (!stop.load(std::memory_order_relaxed)) {
      if (!queue->pop(item)) {
        idle();
        continue;
      }
      idle.reset();
      checksum += checksum_of(item);
      consumed.store(++n, std::memory_order_release);
    }
    benchmark::DoNotOptimize(checksum);
  });
  ScopedPin pin(0);
  std::uint64_t produced = 0;
  for (auto _ : state) {
    for (std::uint64_t i = 0; i < kBatch; ++i) {
      const T item = make_item<T>(produced + i);
      for (SpinThenYield wait(2); !queue->push(item);) wait();
    }
    produced += kBatch;
    for (SpinThenYield wait(2); consumed.load(std::memory_order_acquire) != produced;) wait();
  }
  stop.store(true);
  consumer.join();
  state.SetItemsProcessed(static_cast<std::int64_t>(produced));
}

// One item goes out on `ping` and comes back on `pong`: time per iteration is one round trip.
template <class Queue>
void BM_SpscRoundTrip(benchmark::State& state) {
  using T = typename Queue::value_type;
  auto ping = std::make_unique<Queue>();
  auto pong = std::make_unique<Queue>();
  std::atomic<bool> stop{false};
  std::thread echo([&] {
    ScopedPin pin(1);
    T item{};
    SpinThenYield idle(2);
    while (!stop.load(std::memory_order_relaxed)) {
      if (!ping->pop(item)) {
        idle();
        continue;
      }
      idle.reset();
      for (SpinThenYield wait(2); !pong->push(item);) wait();
    }
  });
  ScopedPin pin(0);
  const T out = make_item<T>(1);
  T back{};
  for (auto _ : state) {
    for (SpinThenYield wait(2); !ping->push(out);) wait();
    for (SpinThenYield wait(2); !pong->pop(back);) wait();
  }
  stop.store(true);
  echo.join();
  benchmark::DoNotOptimize(back);
  state.SetLabel("time = one round trip");
}

// ---- (c) fan-out: 1 producer -> N consumers -------------------------------------------------------

struct alignas(kCacheLineSize) PaddedCount {
  std::atomic<std::uint64_t> n{0};
};

// Runs `consume(k, count)` on N consumer threads while the caller produces with `produce(i)`;
// each iteration produces kBatch items and waits until all are consumed.
template <class Produce, class Consume>
void run_fanout(benchmark::State& state, Produce&& produce, Consume&& consume) {
  const auto consumers = static_cast<std::size_t>(state.range(0));
  std::vector<PaddedCount> consumed(consumers);
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (std::size_t k = 0; k < consumers; ++k) {
    threads.emplace_back([&, k] {
      ScopedPin pin(k + 1);
      SpinThenYield idle(consumers + 1);
      while (!stop.load(std::memory_order_relaxed)) {
        if (!consume(k)) {
          idle();
          continue;
        }
        idle.reset();
        consumed[k].n.store(consumed[k].n.load(std::memory_order_relaxed) + 1, std::memory_order_release);
      }
    });
  }
  ScopedPin pin(0);
  std::uint64_t produced = 0;
  for (auto _ : state) {
    for (std::uint64_t i = 0; i < kBatch; ++i) produce(produced + i, consumers + 1);
    produced += kBatch;
    for (SpinThenYield wait(consumers + 1);; wait()) {
      std::uint64_t total = 0;
      for (auto& c : consumed) total += c.n.load(std::memory_order_acquire);
      if (total == produced) break;
    }
  }
  stop.store(true);
  for (auto& t : threads) t.join();
  state.SetItemsProcessed(static_cast<std::int64_t>(produced));
}

// Per-worker SPSC queues; the producer picks the worker from the event's tgid (per-key order kept).
void BM_FanoutPerWorkerSpsc(benchmark::State& state) {
  std::vector<std::unique_ptr<SpscQueue<Event*>>> queues;
  for (std::int64_t k = 0; k < state.range(0); ++k) queues.push_back(std::make_unique<SpscQueue<Event*>>(kQueueCapacity));
  std::mt19937 rng(42);
  for (auto& e : event_arena()) e.tgid = rng();
  run_fanout(
      state,
      [&](std::uint64_t i, std::size_t threads) {
        Event* e = &event_arena()[i % kQueueCapacity];
        auto& q = *queues[e->tgid % queues.size()];
        for (SpinThenYield wait(threads); !q.try_push(e);) wait();
      },
      [&](std::size_t k) {
        Event* e = nullptr;
        if (!queues[k]->try_pop(e)) return false;
        benchmark::DoNotOptimize(e);
        return true;
      });
}

// One shared MPMC queue: any consumer takes any event (no per-key order).
void BM_FanoutMoodycamelConcurrentQueue(benchmark::State& state) {
  moodycamel::ConcurrentQueue<Event*> queue(static_cast<std::size_t>(state.range(0)) * kQueueCapacity);
  moodycamel::ProducerToken producer_token(queue);
  std::vector<std::unique_ptr<moodycamel::ConsumerToken>> consumer_tokens;
  for (std::int64_t k = 0; k < state.range(0); ++k) consumer_tokens.push_back(std::make_unique<moodycamel::ConsumerToken>(queue));
  run_fanout(
      state,
      [&](std::uint64_t i, std::size_t threads) {
        Event* e = &event_arena()[i % kQueueCapacity];
        for (SpinThenYield wait(threads); !queue.try_enqueue(producer_token, e);) wait();
      },
      [&](std::size_t k) {
        Event* e = nullptr;
        if (!queue.try_dequeue(*consumer_tokens[k], e)) return false;
        benchmark::DoNotOptimize(e);
        return true;
      });
}

// ---- (d) ObjectPool ---------------------------------------------------------------------------------

void BM_PoolGetPutLocal(benchmark::State& state) {
  ObjectPool<Event> pool(kQueueCapacity, 1);
  for (auto _ : state) {
    Event* e = pool.get();
    benchmark::DoNotOptimize(e);
    pool.put_local(e);
  }
  state.SetItemsProcessed(state.iterations());
}

// Same thread, but every object goes back through the return ring and is drained in bulk.
void BM_PoolGetPutViaReturnRing(benchmark::State& state) {
  ObjectPool<Event> pool(kQueueCapacity, 1);
  for (auto _ : state) {
    Event* e = pool.get();
    benchmark::DoNotOptimize(e);
    pool.put(0, e);
  }
  state.SetItemsProcessed(state.iterations());
}

// The pipeline's shape: owner gets and fills an event, a worker (other CPU) puts it back.
void BM_PoolGetHerePutThere(benchmark::State& state) {
  ObjectPool<Event> pool(kQueueCapacity, 1);
  SpscQueue<Event*> to_worker(kQueueCapacity);
  alignas(kCacheLineSize) std::atomic<std::uint64_t> returned{0};
  std::atomic<bool> stop{false};
  std::thread worker([&] {
    ScopedPin pin(1);
    std::uint64_t n = 0;
    SpinThenYield idle(2);
    while (!stop.load(std::memory_order_relaxed)) {
      Event* e = nullptr;
      if (!to_worker.try_pop(e)) {
        idle();
        continue;
      }
      idle.reset();
      pool.put(0, e);
      returned.store(++n, std::memory_order_release);
    }
  });
  ScopedPin pin(0);
  std::uint64_t produced = 0;
  std::uint64_t exhausted = 0;
  for (auto _ : state) {
    for (std::uint64_t i = 0; i < kBatch; ++i) {
      Event* e = nullptr;
      for (SpinThenYield wait(2); (e = pool.get()) == nullptr; wait()) ++exhausted;
      e->t_parsed = produced + i;
      for (SpinThenYield wait(2); !to_worker.try_push(e);) wait();
    }
    produced += kBatch;
    for (SpinThenYield wait(2); returned.load(std::memory_order_acquire) != produced;) wait();
  }
  stop.store(true);
  worker.join();
  state.SetItemsProcessed(static_cast<std::int64_t>(produced));
  state.counters["pool_exhausted"] = benchmark::Counter(static_cast<double>(exhausted), benchmark::Counter::kIsRate);
}

// What the pool replaces: one heap allocation per event.
void BM_NewDeleteEvent(benchmark::State& state) {
  for (auto _ : state) {
    auto* e = new Event{};
    benchmark::DoNotOptimize(e);
    delete e;
  }
  state.SetItemsProcessed(state.iterations());
}

// ---- (e) LogHistogram, (f) record copy ----------------------------------------------------------

// Stage latencies: lognormal, median 2 us, long tail.
std::vector<std::uint64_t> realistic_latencies() {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> d(std::log(2000.0), 1.0);
  std::vector<std::uint64_t> v(1 << 16);
  for (auto& x : v) x = static_cast<std::uint64_t>(d(rng));
  return v;
}

void BM_HistogramRecord(benchmark::State& state) {
  const auto values = realistic_latencies();
  auto h = std::make_unique<LogHistogram>();
  std::size_t i = 0;
  for (auto _ : state) {
    h->record(values[i++ & (values.size() - 1)]);
  }
  benchmark::DoNotOptimize(h->count());
  state.SetItemsProcessed(state.iterations());
}

void BM_HistogramPercentile(benchmark::State& state) {
  auto h = std::make_unique<LogHistogram>();
  for (auto v : realistic_latencies()) h->record(v);
  for (auto _ : state) benchmark::DoNotOptimize(h->percentile(99.9));
}

void BM_HistogramMerge(benchmark::State& state) {
  auto into = std::make_unique<LogHistogram>();
  auto from = std::make_unique<LogHistogram>();
  for (auto v : realistic_latencies()) from->record(v);
  for (auto _ : state) {
    into->merge(*from);
    benchmark::ClobberMemory();
  }
}

// The consumer's read_to_parse step: a 64-byte record classified against its program's rules
// and copied into a pooled Event (header decoded into the event, bytes behind it).
void BM_RecordCopyIntoPooledEvent(benchmark::State& state) {
  constexpr std::uint32_t kRecord = 64;
  ProgramFormat program;
  program.name = "bench";
  program.prog_id = 1;
  program.min_bytes = program.max_bytes = kRecord;
  program.kinds = 512;
  const RecordFormat format({program}, false);
  ObjectPool<Event> pool(kQueueCapacity, 1, sizeof(Event) + kRecord);
  struct alignas(8) Record {
    rs_hdr h;
    std::uint64_t payload[4];
  };
  static_assert(sizeof(Record) == kRecord);
  std::vector<Record> ring(256);  // stands in for records sitting in the ring buffer
  for (std::size_t i = 0; i < ring.size(); ++i) {
    ring[i].h.size = kRecord;
    ring[i].h.prog = 1;
    ring[i].h.flags = RS_F_STAMPED;
    ring[i].h.tid = static_cast<std::uint32_t>(i);
  }
  std::size_t i = 0;
  for (auto _ : state) {
    Event* e = pool.get();
    const Record& r = ring[i++ & 255];
    const auto v = format.classify(reinterpret_cast<const std::uint8_t*>(&r), sizeof(r), *e);
    copy_record(*e, reinterpret_cast<const std::uint8_t*>(&r), sizeof(r), pool.object_bytes() - sizeof(Event));
    benchmark::DoNotOptimize(v);
    benchmark::DoNotOptimize(e->kind);
    pool.put_local(e);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kRecord));
}

// Context: what one stage timestamp costs.
void BM_ClockMonotonic(benchmark::State& state) {
  timespec ts{};
  for (auto _ : state) {
    clock_gettime(CLOCK_MONOTONIC, &ts);
    benchmark::DoNotOptimize(ts);
  }
}

void register_all() {
  auto threaded = [](benchmark::internal::Benchmark* b) { b->UseRealTime()->MeasureProcessCPUTime(); };
  threaded(benchmark::RegisterBenchmark("spsc_throughput/ours/event_ptr", BM_SpscThroughput<OurSpsc<Event*>>));
  threaded(benchmark::RegisterBenchmark("spsc_throughput/moodycamel_rwq/event_ptr", BM_SpscThroughput<MoodycamelRwq<Event*>>));
  threaded(benchmark::RegisterBenchmark("spsc_throughput/boost_spsc/event_ptr", BM_SpscThroughput<BoostSpsc<Event*>>));
  threaded(benchmark::RegisterBenchmark("spsc_throughput/ours/payload64", BM_SpscThroughput<OurSpsc<Payload64>>));
  threaded(benchmark::RegisterBenchmark("spsc_throughput/moodycamel_rwq/payload64", BM_SpscThroughput<MoodycamelRwq<Payload64>>));
  threaded(benchmark::RegisterBenchmark("spsc_throughput/boost_spsc/payload64", BM_SpscThroughput<BoostSpsc<Payload64>>));
  threaded(benchmark::RegisterBenchmark("spsc_round_trip/ours/event_ptr", BM_SpscRoundTrip<OurSpsc<Event*>>));
  threaded(benchmark::RegisterBenchmark("spsc_round_trip/moodycamel_rwq/event_ptr", BM_SpscRoundTrip<MoodycamelRwq<Event*>>));
  threaded(benchmark::RegisterBenchmark("spsc_round_trip/boost_spsc/event_ptr", BM_SpscRoundTrip<BoostSpsc<Event*>>));
  threaded(benchmark::RegisterBenchmark("fanout/ours_spsc_per_worker", BM_FanoutPerWorkerSpsc)->ArgName("consumers")->Arg(1)->Arg(2));
  threaded(benchmark::RegisterBenchmark("fanout/moodycamel_concurrentqueue", BM_FanoutMoodycamelConcurrentQueue)->ArgName("consumers")->Arg(1)->Arg(2));
  benchmark::RegisterBenchmark("pool/get_put_local", BM_PoolGetPutLocal);
  benchmark::RegisterBenchmark("pool/get_put_via_return_ring", BM_PoolGetPutViaReturnRing);
  threaded(benchmark::RegisterBenchmark("pool/get_here_put_there", BM_PoolGetHerePutThere));
  benchmark::RegisterBenchmark("pool/baseline_new_delete", BM_NewDeleteEvent);
  benchmark::RegisterBenchmark("histogram/record", BM_HistogramRecord);
  benchmark::RegisterBenchmark("histogram/percentile", BM_HistogramPercentile);
  benchmark::RegisterBenchmark("histogram/merge", BM_HistogramMerge);
  benchmark::RegisterBenchmark("record/copy_into_pooled_event", BM_RecordCopyIntoPooledEvent);
  benchmark::RegisterBenchmark("clock/monotonic", BM_ClockMonotonic);
}

}  // namespace
}  // namespace ringside

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  utsname host{};
  if (uname(&host) == 0) benchmark::AddCustomContext("kernel", host.release);
  benchmark::AddCustomContext("cpus_online", std::to_string(sysconf(_SC_NPROCESSORS_ONLN)));
  benchmark::AddCustomContext("cpus_allowed", std::to_string(ringside::cpus().size()));
  benchmark::AddCustomContext("threads_pinned", ringside::cpus().size() >= 2 ? "yes" : "no (fewer than 2 cpus)");
  ringside::register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
