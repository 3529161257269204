// run_workload(): set up every thread and resource, hand over to on_ready(), start all
// threads on one timestamp, and add up the per-thread ground truth.
#include <fmt/format.h>
#include <sys/prctl.h>

#include <atomic>
#include <cstdlib>
#include <cmath>
#include <thread>

#include "pacer.h"
#include "syscall_ops.h"
#include "workload.h"

namespace ringside {
namespace {

using namespace workload_detail;

constexpr int64_t kNotStarted = 0;
constexpr int64_t kAborted = -1;

// Owns the worker threads: releases them (as aborted, unless started) and joins them.
class WorkerGroup {
 public:
  WorkerGroup(std::atomic<int64_t>& start, std::atomic<bool>& release) : start_(start), release_(release) {}
  ~WorkerGroup() {
    int64_t expected = kNotStarted;
    start_.compare_exchange_strong(expected, kAborted);
    start_.notify_all();
    release_.store(true);
    release_.notify_all();
    for (auto& t : threads_) t.join();
  }
  WorkerGroup(const WorkerGroup&) = delete;
  WorkerGroup& operator=(const WorkerGroup&) = delete;

  template <typename F>
  void add(F&& body) {
    threads_.emplace_back(std::forward<F>(body));
  }

 private:
  std::atomic<int64_t>& start_;
  std::atomic<bool>& release_;
  std::vector<std::thread> threads_;
};

WorkloadResult add_up(const WorkloadSpec& spec, const std::vector<ThreadTally>& tallies, int64_t start_ns) {
  WorkloadResult r;
  r.kind = spec.kind;
  r.threads = spec.threads;
  r.target_rate = spec.rate;
  r.burst_on_ms = spec.burst_on_ms;
  r.burst_off_ms = spec.burst_off_ms;
  for (const auto& name : traced_calls(spec)) r.by_syscall[name] = 0;  // zeros are ground truth too
  int64_t finished_ns = start_ns;
  for (const auto& t : tallies) {
    r.ops += t.ops;
    r.errors += t.errors;
    r.worst_lag_ns = std::max(r.worst_lag_ns, t.worst_lag_ns);
    r.missed_ops += t.missed_slots;
    r.write_ns += t.write_ns;
    finished_ns = std::max(finished_ns, t.finished_ns);
    for (int c = 0; c < kCallKinds; ++c)
      if (t.issued[size_t(c)] > 0) r.by_syscall[std::string(call_name(Call(c)))] += t.issued[size_t(c)];
  }
  r.elapsed_s = double(finished_ns - start_ns) / 1e9;
  r.ops_per_sec = r.elapsed_s > 0 ? double(r.ops) / r.elapsed_s : 0;
  return r;
}

// Counts threads through a point; the last one wakes whoever waits for all of them.
class Arrivals {
 public:
  void arrive() noexcept {
    n_.fetch_add(1, std::memory_order_acq_rel);
    n_.notify_all();
  }
  void wait_for(int count) const noexcept {
    for (int seen; (seen = n_.load(std::memory_order_acquire)) < count;) n_.wait(seen, std::memory_order_acquire);
  }

 private:
  std::atomic<int> n_{0};
};

}  // namespace

WorkloadResult run_workload(const WorkloadSpec& spec, const std::function<void()>& on_ready,
                            const std::function<void()>& on_done) {
  validate(spec);
  // Everything a thread touches while issuing is allocated and opened here, before ready.
  OpEnvironment env(spec);
  const std::vector<Op> cycle = op_cycle(spec);
  std::vector<OpIssuer> issuers;
  issuers.reserve(size_t(spec.threads));
  for (int i = 0; i < spec.threads; ++i) issuers.emplace_back(env, cycle, i);
  std::vector<ThreadTally> tallies(size_t(spec.threads));

  std::atomic<int64_t> start{kNotStarted};
  std::atomic<bool> release{false};
  Arrivals parked, finished;
  {
    WorkerGroup workers(start, release);
    for (int i = 0; i < spec.threads; ++i) {
      PaceParams params;
      params.rate = spec.rate;
      params.threads = spec.threads;
      params.thread_index = i;
      params.burst_on_ms = spec.burst_on_ms;
      params.burst_off_ms = spec.burst_off_ms;
      if (spec.ops > 0) params.op_limit = spec.ops / spec.threads + (uint64_t(i) < spec.ops % spec.threads);
      workers.add([&, params, i]() mutable {
        ::prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);  // wake on time, not up to 50 us late
        ::prctl(PR_SET_NAME, fmt::format("rs-work-{}", i).c_str(), 0, 0, 0);
        std::free(std::malloc(64));  // this thread's allocator state exists before anything is traced
        parked.arrive();
        start.wait(kNotStarted);
        params.start_ns = start.load();
        if (params.start_ns == kAborted) return;
        if (spec.ops == 0) params.end_ns = params.start_ns + std::llround(spec.duration_s * 1e9);
        run_paced(params, issuers[size_t(i)], tallies[size_t(i)]);
        // Done issuing: wait, doing nothing (no allocation, no syscall a tracer follows), until
        // the tracer has had its exact window; exiting a thread frees memory.
        finished.arrive();
        release.wait(false);
      });
    }
    parked.wait_for(spec.threads);  // every thread set up: from here on only the ops run
    on_ready();  // may throw WorkloadAborted: ~WorkerGroup releases the threads unused
    start.store(monotonic_ns());
    start.notify_all();
    finished.wait_for(spec.threads);
    if (on_done) on_done();
  }  // releases and joins every worker
  return add_up(spec, tallies, start.load());
}

}  // namespace ringside
