// One traced interval: the programs loaded (sharing a target set), their rings read by the
// pipeline (or the lean counting consumer, or nothing for the floor), BPF stats held, and what
// accounting needs afterwards.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "bpf_prog_stats.h"
#include "counting_consumer.h"
#include "governor_loop.h"
#include "pipeline.h"
#include "program.h"

namespace ringside {

enum class Consumer : uint8_t {
  pipeline,  // ringside's pipeline (the traced phase)
  counting,  // the lean counting consumer (the bare phase)
  none,      // nothing reads the ring (the floor: programs return at once anyway)
};

struct SessionConfig {
  std::vector<ProgramId> programs = {ProgramId::syscall_tap};
  LoadOptions load;          // what every program is loaded with
  PipelineConfig pipeline;   // the session fills in the record format
  Consumer consumer = Consumer::pipeline;
  RingLayout rings = RingLayout::shared;
  bool bpf_stats = true;     // hold BPF_ENABLE_STATS for run_time_ns accounting
};

// Accounted cost and event counts at one instant (cumulative since start()).
struct SessionReading {
  uint64_t wall_ns = 0;
  uint64_t bpf_ns = 0, bpf_runs = 0;
  uint64_t consumer_ns = 0, workers_ns = 0;
  ProgramCounters kernel;                    // every program
  std::vector<ProgramCounters> per_program;  // by slot
  uint64_t handled = 0;
  PipelineDrops user;                        // every program, plus unattributed malformed records
  std::vector<PipelineDrops> user_per_program;
};

// One program's BPF run time over the session.
struct ProgramBpf {
  uint64_t ns = 0, runs = 0;
  std::map<uint32_t, uint64_t> ns_by_prog;
};

struct SessionReport {
  SessionReading total;
  Aggregate aggregate;
  uint64_t perf_lost_reported = 0;  // perf buffer lost records (cross-check of kernel.perf_output)
  std::vector<ProgramBpf> bpf_by_program;            // by slot
  std::vector<std::vector<KindCount>> aggregates;    // aggregate mode: what each program counted
};

class TraceSession final : public Governed {
 public:
  explicit TraceSession(SessionConfig config);  // loads (throws std::runtime_error)
  ~TraceSession() override;
  TraceSession(const TraceSession&) = delete;
  TraceSession& operator=(const TraceSession&) = delete;

  void add_target(uint32_t tgid);
  // attach() then start_consumers(). Split when privileges are dropped in between: the consumer
  // threads must start after the drop, as capabilities are per thread (the ring holds what comes
  // meanwhile).
  void start();
  void attach();
  void start_consumers();
  void stop();   // detach, drain, join; idempotent
  [[nodiscard]] SessionReading read() const;   // live, cumulative
  [[nodiscard]] SessionReport report() const;  // after stop()
  [[nodiscard]] const SessionConfig& config() const { return config_; }
  [[nodiscard]] const std::vector<std::unique_ptr<LoadedProgram>>& programs() const { return programs_; }
  [[nodiscard]] int any_map_fd() const { return programs_.front()->counters_fd(); }
  [[nodiscard]] Pipeline* pipeline() noexcept { return pipeline_.get(); }
  [[nodiscard]] const std::string& bpf_stats_method() const { return stats_.method; }

  // Governed
  GovernedReading governor_reading() const override;
  void set_sample_every(uint32_t n) override;
  void detach() override;

 private:
  SessionConfig config_;
  BpfStats stats_;
  std::vector<std::unique_ptr<LoadedProgram>> programs_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<CountingConsumer> counting_;
  std::vector<pid_t> targets_;
  uint64_t start_ns_ = 0, stop_ns_ = 0;
  std::vector<std::vector<ProgRuntime>> bpf_at_start_;  // by slot
  bool running_ = false;
};

// The record formats of the session's programs, in slot order.
RecordFormat record_format_of(const std::vector<ProgramId>& programs, const LoadOptions& load);

}  // namespace ringside
