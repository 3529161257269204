#include "trace_session.h"

#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "clock.h"

namespace ringside {
namespace {

std::pair<uint64_t, uint64_t> bpf_delta(const std::vector<ProgRuntime>& before, const std::vector<ProgRuntime>& after) {
  uint64_t ns = 0, runs = 0;
  for (const auto& a : after) {
    uint64_t b_ns = 0, b_runs = 0;
    for (const auto& b : before)
      if (b.id == a.id) b_ns = b.run_time_ns, b_runs = b.run_cnt;
    ns += a.run_time_ns - b_ns;
    runs += a.run_cnt - b_runs;
  }
  return {ns, runs};
}

}  // namespace

uint64_t SessionReport::dropped_total() const {
  const auto& k = total.kernel;
  const auto& u = total.user;
  return k.kernel_reserve + k.perf_output + k.sampled_out + u.queue_full + u.pool_exhausted + u.malformed;
}

TraceSession::TraceSession(SessionConfig config) : config_(std::move(config)), tap_(config_.tap) {
  if (config_.bpf_stats) {
    try {
      stats_.emplace();
    } catch (const std::exception& e) {
      fmt::print(stderr, "ringside: {}; BPF CPU time will read 0\n", e.what());
    }
  }
  if (config_.tap.hook == "floor") return;
  if (config_.bare)
    bare_ = std::make_unique<BareConsumer>(tap_);
  else
    pipeline_ = std::make_unique<Pipeline>(config_.pipeline, tap_);
}

TraceSession::~TraceSession() { stop(); }

void TraceSession::start() {
  if (pipeline_) pipeline_->start();
  if (bare_) bare_->start();
  bpf_at_start_ = tap_.prog_runtime();
  start_ns_ = now_ns();
  tap_.attach();
  running_ = true;
}

void TraceSession::stop() {
  if (!running_) return;
  tap_.detach();
  stop_ns_ = now_ns();
  // let programs already running on other CPUs finish their submit before the final drain
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (pipeline_) pipeline_->stop();
  if (bare_) bare_->stop();
  running_ = false;
}

SessionReading TraceSession::read() const {
  SessionReading r;
  r.wall_ns = (running_ ? now_ns() : stop_ns_) - start_ns_;
  auto [ns, runs] = bpf_delta(bpf_at_start_, tap_.prog_runtime());
  r.bpf_ns = ns;
  r.bpf_runs = runs;
  if (pipeline_) {
    r.consumer_ns = pipeline_->consumer_cpu_ns();
    r.workers_ns = pipeline_->workers_cpu_ns();
    r.handled = pipeline_->handled();
    r.user = pipeline_->drops();
  }
  if (bare_) {
    r.consumer_ns = bare_->cpu_ns();
    r.handled = bare_->count();
  }
  r.kernel = tap_.read_counters();
  return r;
}

SessionReport TraceSession::report() const {
  SessionReport rep;
  rep.total = read();
  if (pipeline_) {
    rep.aggregate = pipeline_->aggregate();
    rep.perf_lost_reported = pipeline_->perf_lost_reported();
  }
  if (bare_) rep.aggregate.handled = bare_->count();
  rep.transport = config_.tap.transport;
  rep.hook = config_.tap.hook;
  rep.wakeup = wakeup_label(config_.tap.wakeup);
  return rep;
}

}  // namespace ringside
