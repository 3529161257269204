#include "governor_loop.h"

#include <fmt/format.h>

#include <chrono>
#include <condition_variable>

#include "clock.h"
#include "results.h"

namespace ringside {

GovernorLoop::GovernorLoop(const GovernorOptions& options, TraceSession& session, int cpus)
    : options_(options), session_(session), cpus_(cpus), governor_(options) {
  if (options_.enabled) thread_ = std::thread([this] { loop(); });
}

GovernorLoop::~GovernorLoop() { stop(); }

void GovernorLoop::stop() {
  stop_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
}

nlohmann::json GovernorLoop::to_json() const { return governor_.to_json(); }

void GovernorLoop::loop() {
  const uint64_t window_ns = uint64_t{options_.window_ms} * 1'000'000ull;
  const uint64_t t0 = now_ns();
  SessionReading prev = session_.read();
  uint64_t next = t0 + window_ns;
  while (!stop_.load(std::memory_order_acquire)) {
    // sleep in short slices so stop() is prompt
    const uint64_t now = now_ns();
    if (now < next) {
      std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<uint64_t>(next - now, 20'000'000ull)));
      continue;
    }
    next += window_ns;
    SessionReading cur = session_.read();
    const uint64_t cpu = (cur.bpf_ns - prev.bpf_ns) + (cur.consumer_ns - prev.consumer_ns) + (cur.workers_ns - prev.workers_ns);
    const uint64_t wall = cur.wall_ns - prev.wall_ns;
    const uint64_t matched = cur.kernel.matched - prev.kernel.matched;
    auto dropped_of = [](const SessionReading& r) {
      return r.kernel.kernel_reserve + r.kernel.perf_output + r.user.queue_full + r.user.pool_exhausted;
    };
    const uint64_t dropped = dropped_of(cur) - dropped_of(prev);
    GovernorWindow w;
    w.t_ms = (now_ns() - t0) / 1e6;
    w.overhead_pct = pct_of_machine(cpu, wall, cpus_);
    w.drop_ratio = matched ? static_cast<double>(dropped) / static_cast<double>(matched) : 0.0;
    prev = cur;
    GovernorAction a = governor_.on_window(w);
    if (a.kind == GovernorAction::none) continue;
    fmt::print(stderr, "ringside: governor at {:.0f} ms: {} ({})\n", w.t_ms, a.label, a.reason);
    if (a.kind == GovernorAction::detach)
      session_.detach();
    else
      session_.tap().set_sample_every(a.sample_every);
  }
}

}  // namespace ringside
