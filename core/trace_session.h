// One traced interval: the tap loaded and attached, the pipeline running, and everything needed
// to account for it afterwards (counters, drops, latency, CPU).
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "bare_consumer.h"
#include "bpf_prog_stats.h"
#include "pipeline.h"
#include "syscall_tap_loader.h"

namespace ringside {

struct SessionConfig {
  TapConfig tap;
  PipelineConfig pipeline;
  bool bpf_stats = true;  // hold BPF_ENABLE_STATS for run_time_ns accounting
  bool bare = false;      // a counting-only ring-buffer consumer instead of the pipeline (the floor)
};

// Accounted cost and event counts at one instant (cumulative since start()).
struct SessionReading {
  uint64_t wall_ns = 0;
  uint64_t bpf_ns = 0, bpf_runs = 0;
  uint64_t consumer_ns = 0, workers_ns = 0;
  TapCounters kernel;
  uint64_t handled = 0;
  PipelineDrops user;
};

struct SessionReport {
  SessionReading total;
  Aggregate aggregate;
  uint64_t perf_lost_reported = 0;  // from perf buffer lost records (cross-check of kernel.perf_output)
  std::string transport, hook, wakeup;
  [[nodiscard]] uint64_t dropped_total() const;
  [[nodiscard]] uint64_t received() const { return aggregate.handled; }
};

class TraceSession {
 public:
  explicit TraceSession(SessionConfig config);  // loads (throws std::runtime_error)
  ~TraceSession();
  void add_target(uint32_t tgid) { tap_.add_target(tgid); }
  void start();  // pipeline threads, then attach
  void stop();   // detach, drain, join; idempotent
  [[nodiscard]] SessionReading read() const;  // live, cumulative
  [[nodiscard]] SessionReport report() const;  // after stop()
  SyscallTap& tap() { return tap_; }
  void detach() { tap_.detach(); }

 private:
  SessionConfig config_;
  std::optional<BpfStatsGuard> stats_;
  SyscallTap tap_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<BareConsumer> bare_;
  uint64_t start_ns_ = 0, stop_ns_ = 0;
  std::vector<ProgRuntime> bpf_at_start_;
  bool running_ = false;
};

}  // namespace ringside
