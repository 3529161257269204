// The userspace pipeline: one consumer thread reads the transport into pooled events, which are
// routed over per-worker SPSC queues to N workers that aggregate them (and optionally write them
// to the sink). The event source is the caller's: a kernel ring, or memory in tests.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "aggregate.h"
#include "event.h"
#include "object_pool.h"
#include "record_format.h"
#include "sink_writer.h"
#include "source.h"
#include "spsc_queue.h"
#include "thread_cpu.h"
#include "types.h"

namespace ringside {

struct PipelineConfig {
  uint32_t workers = 1;
  bool inline_handling = false;  // the consumer thread handles events itself; `workers` is ignored
  QueuePolicy queue_policy = QueuePolicy::drop;  // drop: count queue_full; block: wait (the ring absorbs)
  uint32_t pool_size = 65536;
  uint32_t queue_size = 16384;  // per worker
  bool pin = false;             // consumer on CPU 0, worker i on CPU (i+1) % ncpu
  std::shared_ptr<SinkWriter> sink;      // every handled event as a JSON line; null = off
  uint64_t inject_handler_delay_ns = 0;  // testing aid: busy-wait in the handler
  int poll_timeout_ms = 10;              // the reader's wait between passes (-1 = until woken)
  RecordFormat format;
};

// Userspace drops by cause.
struct PipelineDrops {
  uint64_t queue_full = 0;
  uint64_t pool_exhausted = 0;
  uint64_t malformed = 0;  // records failing their program's size/kind rules
  PipelineDrops& operator+=(const PipelineDrops& o) {
    queue_full += o.queue_full;
    pool_exhausted += o.pool_exhausted;
    malformed += o.malformed;
    return *this;
  }
};

class Pipeline final : public RecordSink {
 public:
  using SourceFactory = std::function<std::unique_ptr<EventSource>(RecordSink&)>;
  Pipeline(PipelineConfig config, const SourceFactory& make_source);
  ~Pipeline() override;
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  void start();
  // Stops polling, drains what the source already holds, lets workers finish their queues.
  void stop();

  [[nodiscard]] EventSource& source() noexcept { return *source_; }
  [[nodiscard]] uint64_t consumer_cpu_ns() const noexcept { return consumer_cpu_.used_ns(); }
  [[nodiscard]] uint64_t workers_cpu_ns() const noexcept;
  [[nodiscard]] uint64_t records_read() const noexcept { return read_.load(std::memory_order_relaxed); }
  [[nodiscard]] uint64_t handled() const noexcept;
  [[nodiscard]] PipelineDrops drops() const noexcept;  // every program, plus unattributed malformed
  [[nodiscard]] PipelineDrops drops_of(std::size_t slot) const noexcept;
  // Malformed records that named no program of the run.
  [[nodiscard]] uint64_t unattributed_malformed() const noexcept {
    return unattributed_.load(std::memory_order_relaxed);
  }
  [[nodiscard]] uint64_t perf_lost_reported() const noexcept;
  [[nodiscard]] Aggregate aggregate() const;  // valid after stop()
  [[nodiscard]] const PipelineConfig& config() const { return config_; }

  // RecordSink (consumer thread)
  void on_batch_start() noexcept override;
  void on_record(const void* data, std::size_t size) noexcept override;
  void on_batch_end() noexcept override;

 private:
  struct Worker;
  struct SlotDrops {
    std::atomic<uint64_t> queue_full{0}, pool_exhausted{0}, malformed{0};
  };
  static constexpr uint32_t kGroup = 16;  // events timestamped together (see flush_pending)
  void consumer_loop();
  void flush_pending() noexcept;
  void route(Event* e) noexcept;
  void drop(std::atomic<uint64_t> SlotDrops::*cause, std::size_t slot) noexcept;
  void write_sink(Worker& w, const Event& e) noexcept;
  // Accounts (and sinks) a run of events taken at t_deq; returns them to the pool through
  // `returner` (a worker index), or the consumer's own cache when handled inline.
  void handle_run(Worker& w, Event* const* run, uint32_t n, uint64_t t_deq, int returner) noexcept;
  void worker_loop(Worker& w, uint32_t index);
  void wake_workers(bool all) noexcept;

  PipelineConfig config_;
  ObjectPool<Event> pool_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<SlotDrops[]> slot_drops_;
  std::unique_ptr<EventSource> source_;
  std::thread consumer_;
  ThreadCpu consumer_cpu_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> consumer_done_{false};

  // consumer-thread state
  uint64_t batch_seen_ns_ = 0;
  bool yielded_in_batch_ = false;
  std::array<Event*, kGroup> pending_{};
  uint32_t npending_ = 0;
  uint32_t next_worker_ = 0;
  std::atomic<uint64_t> read_{0};
  std::atomic<uint64_t> unattributed_{0};
};

}  // namespace ringside
