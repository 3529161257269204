// Zero heap allocations per event in steady state: count every operator new in the process while
// the full pipeline (pool, queues, workers, stage histograms) carries over a million real events.
// The replacement operators below pair malloc with free themselves; GCC cannot see that.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <atomic>
#include <cstdlib>
#include <new>

#include "test_support.h"
#include "phases.h"
#include "syscall_names.h"
#include "trace_session.h"
#include "workload_process.h"

namespace {
std::atomic<uint64_t> g_allocations{0};
}

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, std::align_val_t a) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::aligned_alloc(static_cast<std::size_t>(a), (n + static_cast<std::size_t>(a) - 1) & ~(static_cast<std::size_t>(a) - 1))) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

using namespace ringside;
using namespace ringside::test;

TEST(PipelineAllocations, NoneWhileMillionsOfEventsFlow) {
  RINGSIDE_REQUIRE_BPF();
  RunOptions o;
  o.pipeline.wakeup = *parse_wakeup("batch:256");
  o.pipeline.workers = 1;
  SessionConfig cfg = session_config(o, parse_syscall_list({"write"}), false);
  cfg.bpf_stats = false;
  WorkloadSpec spec;
  spec.kind = WorkloadKind::write;
  spec.duration_s = 5;  // max rate: several million writes
  auto child = WorkloadProcess::spawn(spec, bin("ringside-workload"));
  TraceSession session(cfg);
  session.add_target(static_cast<uint32_t>(child.pid()));
  session.start();
  child.go();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // warm-up: first touches, page faults
  const uint64_t handled_before = session.read().handled;
  const uint64_t allocs_before = g_allocations.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(3000));  // steady state: this thread idles
  const uint64_t allocs_after = g_allocations.load();
  const uint64_t handled_after = session.read().handled;
  child.wait();
  session.stop();
  const uint64_t events = handled_after - handled_before;
  if (events < 1'000'000) GTEST_SKIP() << "load: machine too busy, only " << events << " events in the window (need 1M)";
  EXPECT_EQ(allocs_after - allocs_before, 0u) << "allocations during " << events << " events";
}
