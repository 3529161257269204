// run_workload(): set up every thread and resource, hand over to on_ready(), start all
// threads on one timestamp, and add up the per-thread ground truth.
#include <fmt/format.h>
#include <sys/prctl.h>

#include <atomic>
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
  explicit WorkerGroup(std::atomic<int64_t>& start) : start_(start) {}
  ~WorkerGroup() {
    int64_t expected = kNotStarted;
    start_.compare_exchange_strong(expected, kAborted);
    start_.notify_all();
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
  std::vector<std::thread> threads_;
};

WorkloadResult add_up(const WorkloadSpec& spec, const std::vector<ThreadTally>& tallies, int64_t start_ns) {
  WorkloadResult r;
  r.kind = spec.kind;
  r.threads = spec.threads;
  r.target_rate = spec.rate;
  r.burst_on_ms = spec.burst_on_ms;
  r.burst_off_ms = spec.burst_off_ms;
  for (const auto& name : traced_syscalls(spec)) r.by_syscall[name] = 0;  // zeros are ground truth too
  int64_t finished_ns = start_ns;
  for (const auto& t : tallies) {
    r.ops += t.ops;
    r.errors += t.errors;
    r.worst_lag_ns = std::max(r.worst_lag_ns, t.worst_lag_ns);
    r.missed_ops += t.missed_slots;
    finished_ns = std::max(finished_ns, t.finished_ns);
    for (int s = 0; s < kSyscallKinds; ++s)
      if (t.issued[s] > 0) r.by_syscall[std::string(syscall_name(Syscall(s)))] += t.issued[s];
  }
  r.elapsed_s = double(finished_ns - start_ns) / 1e9;
  r.ops_per_sec = r.elapsed_s > 0 ? double(r.ops) / r.elapsed_s : 0;
  return r;
}

}  // namespace

WorkloadResult run_workload(const WorkloadSpec& spec, const std::function<void()>& on_ready) {
  validate(spec);
  // Everything a thread touches while issuing is allocated and opened here, before ready.
  OpEnvironment env(spec);
  const std::vector<Syscall> cycle = op_cycle(spec);
  std::vector<OpIssuer> issuers;
  issuers.reserve(size_t(spec.threads));
  for (int i = 0; i < spec.threads; ++i) issuers.emplace_back(env, cycle);
  std::vector<ThreadTally> tallies(size_t(spec.threads));

  std::atomic<int64_t> start{kNotStarted};
  {
    WorkerGroup workers(start);
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
        start.wait(kNotStarted);
        params.start_ns = start.load();
        if (params.start_ns == kAborted) return;
        if (spec.ops == 0) params.end_ns = params.start_ns + std::llround(spec.duration_s * 1e9);
        run_paced(params, issuers[size_t(i)], tallies[size_t(i)]);
      });
    }
    on_ready();  // may throw WorkloadAborted: ~WorkerGroup releases the threads unused
    start.store(monotonic_ns());
    start.notify_all();
  }  // joins every worker
  return add_up(spec, tallies, start.load());
}

}  // namespace ringside
