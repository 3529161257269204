// The userspace pipeline: one consumer thread reading the transport into pooled events, routed
// over per-worker SPSC queues to N workers that aggregate and (optionally) sink them.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "event_source.h"
#include "histogram.h"
#include "object_pool.h"
#include "spsc_queue.h"
#include "thread_cpu.h"

namespace ringside {

struct PipelineConfig {
  uint32_t workers = 1;
  std::string queue_policy = "drop";  // drop: count queue_full; block: wait, the ring absorbs/drops in kernel
  uint32_t pool_size = 65536;
  uint32_t queue_size = 16384;        // per worker
  bool pin = false;                   // consumer on CPU 0, worker i on CPU (i+1) % ncpu
  std::string sink;                   // JSON-lines file of raw events; empty = off
  uint64_t inject_handler_delay_ns = 0;  // testing aid: busy-wait in the handler
  int poll_timeout_ms = 10;
};

// Per-worker aggregation; merged after the workers stop.
struct Aggregate {
  StageHistograms hist;
  std::array<uint64_t, RS_MAX_SYSCALLS> by_nr{};
  std::map<uint32_t, uint64_t> by_pid;  // filled by merge (not on the hot path)
  uint64_t handled = 0;
};

struct PipelineDrops {
  uint64_t queue_full = 0;
  uint64_t pool_exhausted = 0;
  uint64_t malformed = 0;  // records failing the size check
};

class Pipeline final : public RecordSink {
 public:
  Pipeline(PipelineConfig config, const SyscallTap& tap);
  ~Pipeline() override;
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  void start();
  // Stops polling, drains what the kernel already handed over, lets workers finish their queues.
  void stop();

  [[nodiscard]] uint64_t consumer_cpu_ns() const noexcept { return consumer_cpu_.used_ns(); }
  [[nodiscard]] uint64_t workers_cpu_ns() const noexcept;
  [[nodiscard]] uint64_t records_read() const noexcept { return read_.load(std::memory_order_relaxed); }
  [[nodiscard]] uint64_t handled() const noexcept;
  [[nodiscard]] PipelineDrops drops() const noexcept;
  [[nodiscard]] uint64_t perf_lost_reported() const noexcept;
  [[nodiscard]] Aggregate aggregate() const;  // valid after stop()
  [[nodiscard]] const PipelineConfig& config() const { return config_; }

  // RecordSink (consumer thread)
  void on_batch_start() noexcept override;
  void on_record(const void* data, std::size_t size) noexcept override;
  void on_batch_end() noexcept override;

 private:
  struct Worker;
  static constexpr uint32_t kGroup = 16;  // events timestamped together (see flush_pending)
  void consumer_loop();
  void flush_pending() noexcept;
  void route(Event* e) noexcept;
  void write_sink(Worker& w, const Event& e) noexcept;
  void worker_loop(Worker& w, uint32_t index);
  void wake_workers(bool all) noexcept;

  PipelineConfig config_;
  std::unique_ptr<EventSource> source_;
  ObjectPool<Event> pool_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::thread consumer_;
  ThreadCpu consumer_cpu_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> consumer_done_{false};
  int sink_fd_ = -1;

  // consumer-thread state
  uint64_t batch_seen_ns_ = 0;
  std::array<Event*, kGroup> pending_{};
  uint32_t npending_ = 0;
  uint32_t next_worker_ = 0;
  std::atomic<uint64_t> read_{0};
  std::atomic<uint64_t> queue_full_{0};
  std::atomic<uint64_t> pool_exhausted_{0};
  std::atomic<uint64_t> malformed_{0};
};

}  // namespace ringside
