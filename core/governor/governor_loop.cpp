#include "governor_loop.h"

#include <fmt/format.h>

#include <chrono>

#include "clock.h"
#include "summary.h"

namespace ringside {

GovernorLoop::GovernorLoop(const GovernorOptions& options, Governed& target, int cpus)
    : options_(options), target_(target), cpus_(cpus), governor_(options) {
  if (options_.enabled) thread_ = std::thread([this] { loop(); });
}

GovernorLoop::~GovernorLoop() { stop(); }

void GovernorLoop::stop() {
  stop_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
}

void GovernorLoop::loop() {
  const uint64_t window_ns = uint64_t{options_.window_ms} * 1'000'000ull;
  const uint64_t t0 = now_ns();
  GovernedReading prev = target_.governor_reading();
  uint64_t next = t0 + window_ns;
  while (!stop_.load(std::memory_order_acquire)) {
    // sleep in short slices so stop() is prompt
    const uint64_t now = now_ns();
    if (now < next) {
      std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<uint64_t>(next - now, 20'000'000ull)));
      continue;
    }
    next += window_ns;
    const GovernedReading cur = target_.governor_reading();
    const uint64_t matched = cur.matched - prev.matched;
    GovernorWindow w;
    w.t_ms = static_cast<double>(now_ns() - t0) / 1e6;
    w.overhead_pct = pct_of_machine(cur.cpu_ns - prev.cpu_ns, cur.wall_ns - prev.wall_ns, cpus_);
    w.drop_ratio = matched ? static_cast<double>(cur.lost - prev.lost) / static_cast<double>(matched) : 0.0;
    prev = cur;
    const GovernorAction a = governor_.on_window(w);
    if (a.kind == GovernorAction::none) continue;
    fmt::print(stderr, "ringside: governor at {:.0f} ms: {} ({})\n", w.t_ms, a.label, a.reason);
    if (a.kind == GovernorAction::detach)
      target_.detach();
    else
      target_.set_sample_every(a.sample_every);
  }
}

}  // namespace ringside
