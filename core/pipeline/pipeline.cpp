#include "pipeline.h"

#include <fmt/format.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "clock.h"

namespace ringside {
namespace {

void pin_to(unsigned cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

inline void cpu_relax() noexcept { __builtin_ia32_pause(); }

// Relaxed increment of a counter only its owner thread writes.
inline void bump(std::atomic<uint64_t>& c) noexcept {
  c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

constexpr std::size_t kSinkFlushBytes = 1 << 20;
constexpr uint32_t kWakeEvery = 256;          // pushes before a sleeping worker is woken mid-batch
constexpr uint32_t kBlockSpins = 64;          // block policy: spins before yielding the CPU
constexpr uint64_t kBlockGiveUpNs = 1'000'000'000;  // block policy at stop: a worker stuck this long

}  // namespace

struct Pipeline::Worker {
  Worker(std::size_t queue_size, const RecordFormat& format) : queue(queue_size), acc(format) {}
  SpscQueue<Event*> queue;
  alignas(kCacheLineSize) std::atomic<uint32_t> wake_seq{0};
  std::atomic<bool> sleeping{false};
  // Both sides of the sleep/wake handshake do a read-modify-write here: RMWs of one atomic are
  // totally ordered, so either the consumer sees `sleeping` or the worker sees the queued event
  // (a Dekker handshake without fences, which ThreadSanitizer cannot model).
  std::atomic<uint32_t> handshake{0};
  alignas(kCacheLineSize) std::atomic<uint64_t> handled{0};
  Accumulator acc;
  ThreadCpu cpu;
  std::string sink_buf;
  std::thread thread;
  uint32_t pushed_since_wake = 0;  // consumer-side
};

Pipeline::Pipeline(PipelineConfig config, const SourceFactory& make_source)
    : config_(std::move(config)),
      pool_(config_.pool_size, std::max<uint32_t>(config_.workers, 1),
            sizeof(Event) + config_.format.max_record_bytes()) {
  if (config_.workers < 1 || config_.inline_handling) config_.workers = 1;  // inline: one accumulator, no thread
  if (config_.format.programs().empty()) throw std::invalid_argument("pipeline: no programs in the record format");
  if (pool_.object_bytes() - sizeof(Event) > UINT16_MAX) throw std::invalid_argument("pipeline: records too large");
  slot_drops_ = std::make_unique<SlotDrops[]>(config_.format.programs().size());
  for (uint32_t i = 0; i < config_.workers; ++i)
    // inline: the accumulator and sink buffer are used, the queue never is (smallest one)
    workers_.push_back(std::make_unique<Worker>(config_.inline_handling ? 2 : config_.queue_size, config_.format));
  if (config_.sink)
    for (auto& w : workers_) w->sink_buf.reserve(kSinkFlushBytes + 4096);
  source_ = make_source(*this);
}

Pipeline::~Pipeline() { stop(); }

void Pipeline::start() {
  for (uint32_t i = 0; i < workers_.size() && !config_.inline_handling; ++i) {
    Worker& w = *workers_[i];
    w.thread = std::thread([this, &w, i] { worker_loop(w, i); });
  }
  consumer_ = std::thread([this] { consumer_loop(); });
}

void Pipeline::stop() {
  if (!consumer_.joinable()) return;
  stop_.store(true, std::memory_order_release);
  source_->interrupt();
  consumer_.join();
  for (auto& w : workers_)
    if (w->thread.joinable()) w->thread.join();
}

void Pipeline::consumer_loop() {
  if (config_.pin) pin_to(0);
  consumer_cpu_.begin();
  while (!stop_.load(std::memory_order_acquire)) source_->poll(config_.poll_timeout_ms);
  // final drain: everything the kernel already handed over is read, nothing is lost at stop
  while (source_->drain() > 0) {
  }
  consumer_done_.store(true, std::memory_order_release);
  if (config_.inline_handling && config_.sink) config_.sink->write(workers_.front()->sink_buf);
  wake_workers(true);
  consumer_cpu_.end();
}

void Pipeline::on_batch_start() noexcept {
  batch_seen_ns_ = now_ns();
  yielded_in_batch_ = false;
}

void Pipeline::drop(std::atomic<uint64_t> SlotDrops::*cause, std::size_t slot) noexcept {
  bump(slot_drops_[slot].*cause);
}

void Pipeline::on_record(const void* data, std::size_t size) noexcept {
  bump(read_);
  const auto* bytes = static_cast<const uint8_t*>(data);
  Event* e = pool_.get();
  if (!e) {  // classify anyway, so the drop is attributed to its program (or found malformed)
    Event scratch;
    const RecordFormat::Verdict v = config_.format.classify(bytes, size, scratch);
    if (v.slot == RecordFormat::kUnattributed)
      bump(unattributed_);
    else
      drop(v.valid ? &SlotDrops::pool_exhausted : &SlotDrops::malformed, static_cast<std::size_t>(v.slot));
    return;
  }
  const RecordFormat::Verdict v = config_.format.classify(bytes, size, *e);
  if (!v.valid) {
    if (v.slot == RecordFormat::kUnattributed)
      bump(unattributed_);
    else
      drop(&SlotDrops::malformed, static_cast<std::size_t>(v.slot));
    pool_.put_local(e);
    return;
  }
  copy_record(*e, bytes, size, pool_.object_bytes() - sizeof(Event));
  e->t_read = batch_seen_ns_;
  pending_[npending_++] = e;
  if (npending_ == kGroup) flush_pending();
}

// One clock read per group of parsed events (clock_gettime costs ~20-50 ns on a VM): each event's
// parse/enqueue time is exact to within the group's few hundred ns of processing.
void Pipeline::flush_pending() noexcept {
  if (npending_ == 0) return;
  const uint64_t now = now_ns();
  for (uint32_t i = 0; i < npending_; ++i) {
    Event* e = pending_[i];
    // a record submitted after this batch began is "seen" no earlier than now
    if (e->t_submit > e->t_read) e->t_read = batch_seen_ns_ = now;
    e->t_parsed = now;
    e->t_enqueued = now;
    if (!config_.inline_handling) route(e);
  }
  // inline: handled here, in the group's order; no queue, so queue_wait is 0
  if (config_.inline_handling) handle_run(*workers_.front(), pending_.data(), npending_, now, -1);
  npending_ = 0;
}

void Pipeline::route(Event* e) noexcept {
  Worker& w = *workers_[next_worker_];
  next_worker_ = next_worker_ + 1 == workers_.size() ? 0 : next_worker_ + 1;
  if (w.queue.try_push(e)) {
    // Wake a sleeping worker once enough has piled up, not per event: a futex wake per push
    // would turn every event into a context switch. The fenced check in on_batch_end() catches
    // the race this relaxed look can miss.
    if (++w.pushed_since_wake >= kWakeEvery && w.sleeping.load(std::memory_order_relaxed)) {
      w.pushed_since_wake = 0;
      w.wake_seq.fetch_add(1, std::memory_order_release);
      w.wake_seq.notify_one();
    }
    return;
  }
  if (config_.queue_policy == QueuePolicy::drop) {
    // Once per batch, give a worker that shares our CPU one chance to run before dropping (on 2
    // CPUs the workload holds one; consumer and worker take turns on the other). Not per drop:
    // a syscall per dropped event would slow the consumer exactly when it is behind.
    if (!yielded_in_batch_) {
      yielded_in_batch_ = true;
      wake_workers(true);
      sched_yield();
      if (w.queue.try_push(e)) return;
    }
    drop(&SlotDrops::queue_full, e->slot);
    pool_.put_local(e);
    return;
  }
  // block: wait for the worker (the kernel ring absorbs meanwhile, or drops and counts). Spin
  // briefly, then yield so a worker pinned to our CPU can run; once stopping, a worker stuck for
  // a whole second (a blocked sink) is given up on and the event counted, so stop() returns.
  wake_workers(true);
  uint64_t stuck_since = 0;
  for (uint32_t spins = 0; !w.queue.try_push(e); ++spins) {
    if (spins < kBlockSpins) {
      cpu_relax();
      continue;
    }
    wake_workers(true);
    sched_yield();
    if (stop_.load(std::memory_order_relaxed)) {
      const uint64_t now = now_ns();
      if (!stuck_since) stuck_since = now;
      if (now - stuck_since > kBlockGiveUpNs) {
        drop(&SlotDrops::queue_full, e->slot);
        pool_.put_local(e);
        return;
      }
    }
  }
}

void Pipeline::on_batch_end() noexcept {
  flush_pending();
  wake_workers(false);
}

void Pipeline::wake_workers(bool all) noexcept {
  // Handshake with worker_loop: our queue stores happen before our RMW of `handshake`, its
  // `sleeping` store before its RMW; whichever RMW comes second sees the other side's store.
  for (auto& w : workers_) {
    w->handshake.fetch_add(1, std::memory_order_acq_rel);
    if ((all || !w->queue.empty()) && w->sleeping.load(std::memory_order_relaxed)) {
      w->pushed_since_wake = 0;
      w->wake_seq.fetch_add(1, std::memory_order_release);
      w->wake_seq.notify_one();
    }
  }
}

void Pipeline::worker_loop(Worker& w, uint32_t index) {
  if (config_.pin) pin_to((index + 1) % static_cast<unsigned>(std::thread::hardware_concurrency()));
  w.cpu.begin();
  int idle_spins = 0;
  std::array<Event*, kGroup> run{};
  for (;;) {
    if (w.queue.empty()) {
      if (++idle_spins < 128) {
        cpu_relax();
        continue;
      }
      idle_spins = 0;
      if (consumer_done_.load(std::memory_order_acquire) && w.queue.empty()) break;
      uint32_t seq = w.wake_seq.load(std::memory_order_acquire);
      w.sleeping.store(true, std::memory_order_relaxed);
      w.handshake.fetch_add(1, std::memory_order_acq_rel);
      if (w.queue.empty() && !consumer_done_.load(std::memory_order_acquire)) w.wake_seq.wait(seq, std::memory_order_acquire);
      w.sleeping.store(false, std::memory_order_relaxed);
      continue;
    }
    const uint64_t t_deq = now_ns();
    uint32_t n = 0;
    Event** slot;
    while (n < kGroup && (slot = w.queue.front()) != nullptr) {
      run[n++] = *slot;
      w.queue.pop();
    }
    handle_run(w, run.data(), n, t_deq, static_cast<int>(index));
  }
  if (config_.sink) config_.sink->write(w.sink_buf);
  w.cpu.end();
}

// Handles a run of up to kGroup events between two clock reads: the run's start is every event's
// dequeue time, its end every event's done time, and handle is the run's time divided evenly
// (clock reads would otherwise dominate the per-event cost).
void Pipeline::handle_run(Worker& w, Event* const* run, uint32_t n, uint64_t t_deq, int returner) noexcept {
  const bool sink = config_.sink != nullptr;
  const uint64_t delay = config_.inject_handler_delay_ns;
  for (uint32_t i = 0; i < n; ++i) {
    w.acc.account(*run[i], t_deq);
    if (sink) write_sink(w, *run[i]);
    if (delay) {  // testing aid: a slower handler, per event
      const uint64_t until = now_ns() + delay;
      while (now_ns() < until) cpu_relax();
    }
  }
  const uint64_t t_done = now_ns();
  w.acc.finish_run(run, n, t_deq, t_done);
  for (uint32_t i = 0; i < n; ++i) {
    if (returner < 0)
      pool_.put_local(run[i]);
    else
      pool_.put(static_cast<std::size_t>(returner), run[i]);
  }
  w.handled.store(w.acc.handled(), std::memory_order_relaxed);
}

void Pipeline::write_sink(Worker& w, const Event& e) noexcept {
  append_sink_line(config_.format.programs()[e.slot], e, w.sink_buf);
  if (w.sink_buf.size() >= kSinkFlushBytes) config_.sink->write(w.sink_buf);
}

uint64_t Pipeline::workers_cpu_ns() const noexcept {
  uint64_t sum = 0;
  for (const auto& w : workers_) sum += w->cpu.used_ns();
  return sum;
}

uint64_t Pipeline::handled() const noexcept {
  uint64_t sum = 0;
  for (const auto& w : workers_) sum += w->handled.load(std::memory_order_relaxed);
  return sum;
}

PipelineDrops Pipeline::drops_of(std::size_t slot) const noexcept {
  const SlotDrops& d = slot_drops_[slot];
  return {d.queue_full.load(std::memory_order_relaxed), d.pool_exhausted.load(std::memory_order_relaxed),
          d.malformed.load(std::memory_order_relaxed)};
}

PipelineDrops Pipeline::drops() const noexcept {
  PipelineDrops total;
  for (std::size_t s = 0; s < config_.format.programs().size(); ++s) total += drops_of(s);
  total.malformed += unattributed_malformed();
  return total;
}

uint64_t Pipeline::perf_lost_reported() const noexcept { return source_->lost_reported(); }

Aggregate Pipeline::aggregate() const {
  Aggregate out;
  for (const auto& w : workers_) w->acc.merge_into(out);
  return out;
}

}  // namespace ringside
