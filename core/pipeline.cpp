#include "pipeline.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "clock.h"
#include "record.h"
#include "syscall_names.h"

namespace ringside {
namespace {

// Fixed-size open-addressing table of per-tgid counts: no allocation per event.
class PidCounts {
 public:
  void add(uint32_t tgid) noexcept {
    uint32_t i = (tgid * 2654435761u) & (kSlots - 1);
    for (uint32_t probe = 0; probe < kSlots; ++probe, i = (i + 1) & (kSlots - 1)) {
      if (keys_[i] == tgid && counts_[i]) {
        ++counts_[i];
        return;
      }
      if (counts_[i] == 0) {
        keys_[i] = tgid;
        counts_[i] = 1;
        return;
      }
    }
    ++overflow_;
  }
  void merge_into(std::map<uint32_t, uint64_t>& out) const {
    for (uint32_t i = 0; i < kSlots; ++i)
      if (counts_[i]) out[keys_[i]] += counts_[i];
    if (overflow_) out[0] += overflow_;  // tgid 0: beyond the table (documented)
  }

 private:
  static constexpr uint32_t kSlots = 4096;
  std::array<uint32_t, kSlots> keys_{};
  std::array<uint64_t, kSlots> counts_{};
  uint64_t overflow_ = 0;
};

void pin_to(unsigned cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

inline void cpu_relax() noexcept { __builtin_ia32_pause(); }

constexpr std::size_t kSinkFlushBytes = 1 << 20;
constexpr uint32_t kWakeEvery = 256;  // pushes before a sleeping worker is woken mid-batch

}  // namespace

struct Pipeline::Worker {
  explicit Worker(std::size_t queue_size) : queue(queue_size) {}
  SpscQueue<Event*> queue;
  alignas(kCacheLineSize) std::atomic<uint32_t> wake_seq{0};
  std::atomic<bool> sleeping{false};
  alignas(kCacheLineSize) std::atomic<uint64_t> handled{0};
  Aggregate agg;
  PidCounts pids;
  ThreadCpu cpu;
  std::string sink_buf;
  std::thread thread;
  uint32_t pushed_since_wake = 0;  // consumer-side
};

Pipeline::Pipeline(PipelineConfig config, const SyscallTap& tap)
    : config_(std::move(config)), pool_(config_.pool_size, config_.workers < 1 ? 1 : config_.workers) {
  if (config_.workers < 1) config_.workers = 1;
  if (config_.queue_policy != "drop" && config_.queue_policy != "block")
    throw std::invalid_argument("queue policy must be drop or block");
  for (uint32_t i = 0; i < config_.workers; ++i) workers_.push_back(std::make_unique<Worker>(config_.queue_size));
  if (!config_.sink.empty()) {
    sink_fd_ = ::open(config_.sink.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (sink_fd_ < 0) throw std::runtime_error("cannot open sink " + config_.sink + ": " + std::strerror(errno));
    for (auto& w : workers_) w->sink_buf.reserve(kSinkFlushBytes + 4096);
  }
  source_ = make_event_source(tap, *this);
}

Pipeline::~Pipeline() {
  stop();
  if (sink_fd_ >= 0) ::close(sink_fd_);
}

void Pipeline::start() {
  for (uint32_t i = 0; i < workers_.size(); ++i) {
    Worker& w = *workers_[i];
    w.thread = std::thread([this, &w, i] { worker_loop(w, i); });
  }
  consumer_ = std::thread([this] { consumer_loop(); });
}

void Pipeline::stop() {
  if (!consumer_.joinable()) return;
  stop_.store(true, std::memory_order_release);
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
  wake_workers(true);
  consumer_cpu_.end();
}

void Pipeline::on_batch_start() noexcept { batch_seen_ns_ = now_ns(); }

void Pipeline::on_record(const void* data, std::size_t size) noexcept {
  read_.store(read_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  Event* e = pool_.get();
  if (!e) {
    pool_exhausted_.store(pool_exhausted_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    return;
  }
  if (!copy_record(data, size, *e)) {
    malformed_.store(malformed_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    pool_.put_local(e);
    return;
  }
  e->t_read = batch_seen_ns_;
  pending_[npending_++] = e;
  if (npending_ == kGroup) flush_pending();
}

// One clock read per group of parsed events (clock_gettime costs ~50 ns on a VM): each event's
// parse/enqueue time is exact to within the group's few hundred ns of processing.
void Pipeline::flush_pending() noexcept {
  if (npending_ == 0) return;
  const uint64_t now = now_ns();
  for (uint32_t i = 0; i < npending_; ++i) {
    Event* e = pending_[i];
    // a record submitted after this batch began is "seen" no earlier than now
    if (e->rec.t_submit > e->t_read) e->t_read = batch_seen_ns_ = now;
    e->t_parsed = now;
    e->t_enqueued = now;
    route(e);
  }
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
  if (config_.queue_policy == "drop") {
    // Before dropping, give a worker that shares our CPU one chance to run (on 2 CPUs the
    // workload holds one; consumer and worker take turns on the other).
    wake_workers(true);
    sched_yield();
    if (w.queue.try_push(e)) return;
    queue_full_.store(queue_full_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    pool_.put_local(e);
    return;
  }
  // block: wait for the worker; meanwhile the kernel ring absorbs (or drops and counts)
  wake_workers(true);
  while (!w.queue.try_push(e)) cpu_relax();
}

void Pipeline::on_batch_end() noexcept {
  flush_pending();
  wake_workers(false);
}

void Pipeline::wake_workers(bool all) noexcept {
  // Dekker-style handshake with worker_loop: our queue stores happen before this fence, its
  // `sleeping` store happens before its fence; one of us sees the other.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  for (auto& w : workers_) {
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
  const bool sink = sink_fd_ >= 0;
  const uint64_t delay = config_.inject_handler_delay_ns;
  auto& hist = w.agg.hist;
  uint64_t handled = 0;
  int idle_spins = 0;
  std::array<uint64_t, kGroup> first{};  // each event's first timestamp, for end_to_end
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
      std::atomic_thread_fence(std::memory_order_seq_cst);
      if (w.queue.empty() && !consumer_done_.load(std::memory_order_acquire)) w.wake_seq.wait(seq, std::memory_order_acquire);
      w.sleeping.store(false, std::memory_order_relaxed);
      continue;
    }
    // Handle a run of up to kGroup queued events between two clock reads: the run's start is
    // every event's dequeue time, its end every event's done time, and handle is the run's
    // time divided evenly (clock reads would otherwise dominate the per-event cost).
    const uint64_t t_deq = now_ns();
    uint32_t n = 0;
    Event** slot;
    while (n < kGroup && (slot = w.queue.front()) != nullptr) {
      Event* e = *slot;
      w.queue.pop();
      const rs_event& r = e->rec;
      if (r.nr >= 0 && r.nr < RS_MAX_SYSCALLS) ++w.agg.by_nr[static_cast<std::size_t>(r.nr)];
      w.pids.add(r.tgid);
      if (r.t_user && r.t_hook >= r.t_user) hist[Stage::syscall_to_hook].record(r.t_hook - r.t_user);
      hist[Stage::hook_to_submit].record(r.t_submit - r.t_hook);
      hist[Stage::submit_to_read].record(e->t_read > r.t_submit ? e->t_read - r.t_submit : 0);
      hist[Stage::read_to_parse].record(e->t_parsed - e->t_read);
      hist[Stage::queue_wait].record(t_deq > e->t_enqueued ? t_deq - e->t_enqueued : 0);
      if (sink) write_sink(w, *e);
      first[n++] = r.t_user ? r.t_user : r.t_hook;
      pool_.put(index, e);
      if (delay) {  // testing aid: a slower handler, per event
        const uint64_t until = now_ns() + delay;
        while (now_ns() < until) cpu_relax();
      }
    }
    const uint64_t t_done = now_ns();
    hist[Stage::handle].record_n((t_done - t_deq) / n, n);
    for (uint32_t i = 0; i < n; ++i) hist[Stage::end_to_end].record(t_done > first[i] ? t_done - first[i] : 0);
    handled += n;
    w.handled.store(handled, std::memory_order_relaxed);
  }
  if (sink && !w.sink_buf.empty()) {
    [[maybe_unused]] ssize_t wr = ::write(sink_fd_, w.sink_buf.data(), w.sink_buf.size());
    w.sink_buf.clear();
  }
  w.agg.handled = handled;
  w.cpu.end();
}

void Pipeline::write_sink(Worker& w, const Event& e) noexcept {
  const rs_event& r = e.rec;
  fmt::format_to(std::back_inserter(w.sink_buf),
                 "{{\"tgid\":{},\"tid\":{},\"cpu\":{},\"nr\":{},\"args\":[{},{},{}],\"t_user\":{},\"t_hook\":{},"
                 "\"t_submit\":{},\"t_read\":{},\"t_parsed\":{}}}\n",
                 r.tgid, r.tid, r.cpu, r.nr, r.args[0], r.args[1], r.args[2], r.t_user, r.t_hook, r.t_submit, e.t_read,
                 e.t_parsed);
  if (w.sink_buf.size() >= kSinkFlushBytes) {
    [[maybe_unused]] ssize_t wr = ::write(sink_fd_, w.sink_buf.data(), w.sink_buf.size());
    w.sink_buf.clear();
  }
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

PipelineDrops Pipeline::drops() const noexcept {
  return {queue_full_.load(std::memory_order_relaxed), pool_exhausted_.load(std::memory_order_relaxed),
          malformed_.load(std::memory_order_relaxed)};
}

uint64_t Pipeline::perf_lost_reported() const noexcept { return source_->lost_reported(); }

Aggregate Pipeline::aggregate() const {
  Aggregate out;
  for (const auto& w : workers_) {
    out.hist.merge(w->agg.hist);
    for (std::size_t i = 0; i < out.by_nr.size(); ++i) out.by_nr[i] += w->agg.by_nr[i];
    w->pids.merge_into(out.by_pid);
    out.handled += w->agg.handled;
  }
  return out;
}

}  // namespace ringside
