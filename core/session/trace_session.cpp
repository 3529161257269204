#include "trace_session.h"

#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "accounting.h"
#include "clock.h"
#include "registry.h"
#include "transport.h"

namespace ringside {
namespace {

std::vector<ProgRuntime> runtime_of(const std::vector<std::unique_ptr<LoadedProgram>>& programs) {
  std::vector<ProgRuntime> all;
  for (const auto& p : programs)
    for (auto& r : p->runtime()) all.push_back(std::move(r));
  return all;
}

// Run time accumulated since `before`, per program id.
std::vector<std::pair<uint32_t, uint64_t>> bpf_delta(const std::vector<ProgRuntime>& before,
                                                     const std::vector<ProgRuntime>& after, uint64_t& ns,
                                                     uint64_t& runs) {
  std::vector<std::pair<uint32_t, uint64_t>> by_prog;
  ns = runs = 0;
  for (const auto& a : after) {
    uint64_t b_ns = 0, b_runs = 0;
    for (const auto& b : before)
      if (b.id == a.id) b_ns = b.run_time_ns, b_runs = b.run_cnt;
    ns += a.run_time_ns - b_ns;
    runs += a.run_cnt - b_runs;
    by_prog.emplace_back(a.id, a.run_time_ns - b_ns);
  }
  return by_prog;
}

}  // namespace

RecordFormat record_format_of(const std::vector<ProgramId>& programs, Transport transport) {
  std::vector<ProgramFormat> formats;
  for (ProgramId id : programs) formats.push_back(program_spec(id).format());
  return RecordFormat(std::move(formats), transport == Transport::perfbuf);
}

TraceSession::TraceSession(SessionConfig config) : config_(std::move(config)) {
  if (config_.programs.empty()) throw std::invalid_argument("a session needs at least one program");
  if (config_.bpf_stats) {
    try {
      stats_.emplace();
    } catch (const std::exception& e) {
      fmt::print(stderr, "ringside: {}; BPF CPU time will read 0\n", e.what());
    }
  }
  // Every program after the first shares its target set and its ring: one wait for them all.
  for (ProgramId id : config_.programs) {
    LoadOptions o = config_.load;
    if (!programs_.empty()) {
      o.reuse_targets_fd = programs_.front()->targets_fd();
      o.reuse_events_fd = programs_.front()->events_fd();
      o.follow_children = false;  // one follower is enough for the shared set
    }
    programs_.push_back(program_spec(id).load(o));
  }
  config_.pipeline.format = record_format_of(config_.programs, config_.load.transport);
  const int ring = programs_.front()->events_fd();
  if (config_.consumer == Consumer::counting) {
    if (config_.load.transport != Transport::ringbuf)
      throw std::runtime_error("the counting consumer reads the ring buffer only");
    counting_ = std::make_unique<CountingConsumer>(ring, config_.pipeline.poll_timeout_ms);
  } else if (config_.consumer == Consumer::pipeline) {
    SourceConfig sc{config_.load.transport, config_.load.wakeup, {ring}, config_.load.ring_bytes};
    pipeline_ = std::make_unique<Pipeline>(config_.pipeline, [&](RecordSink& sink) { return make_source(sc, sink); });
  }
}

TraceSession::~TraceSession() { stop(); }

void TraceSession::add_target(uint32_t tgid) {
  programs_.front()->add_target(tgid);  // the set is shared
  targets_.push_back(static_cast<pid_t>(tgid));
}

void TraceSession::start() {
  if (pipeline_) pipeline_->start();
  if (counting_) counting_->start();
  bpf_at_start_ = runtime_of(programs_);
  start_ns_ = now_ns();
  try {
    for (auto& p : programs_) p->attach({targets_});
  } catch (...) {
    for (auto& p : programs_) p->detach();
    if (pipeline_) pipeline_->stop();
    if (counting_) counting_->stop();
    throw;
  }
  running_ = true;
}

void TraceSession::stop() {
  if (!running_) return;
  for (auto& p : programs_) p->detach();
  stop_ns_ = now_ns();
  // let programs already running on other CPUs finish their submit before the final drain
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (pipeline_) pipeline_->stop();
  if (counting_) counting_->stop();
  running_ = false;
}

SessionReading TraceSession::read() const {
  SessionReading r;
  r.wall_ns = (running_ ? now_ns() : stop_ns_) - start_ns_;
  bpf_delta(bpf_at_start_, runtime_of(programs_), r.bpf_ns, r.bpf_runs);
  if (pipeline_) {
    r.consumer_ns = pipeline_->consumer_cpu_ns();
    r.workers_ns = pipeline_->workers_cpu_ns();
    r.handled = pipeline_->handled();
    r.user = pipeline_->drops();
  }
  if (counting_) {
    r.consumer_ns = counting_->cpu_ns();
    r.handled = counting_->count();
  }
  for (const auto& p : programs_) {
    r.per_program.push_back(p->counters());
    r.kernel += r.per_program.back();
  }
  return r;
}

SessionReport TraceSession::report() const {
  SessionReport rep;
  rep.total = read();
  uint64_t ns = 0, runs = 0;
  rep.bpf_by_prog = bpf_delta(bpf_at_start_, runtime_of(programs_), ns, runs);
  if (pipeline_) {
    rep.aggregate = pipeline_->aggregate();
    rep.perf_lost_reported = pipeline_->perf_lost_reported();
  }
  if (counting_) rep.aggregate.handled = counting_->count();
  return rep;
}

GovernedReading TraceSession::governor_reading() const {
  const SessionReading r = read();
  // what nobody chose to drop: everything but sampled_out (the governor's own doing)
  return {r.wall_ns, r.bpf_ns + r.consumer_ns + r.workers_ns, r.kernel.matched, drop_counts(r).lost()};
}

void TraceSession::set_sample_every(uint32_t n) {
  for (auto& p : programs_) p->set_sample_every(n);
}

void TraceSession::detach() {
  for (auto& p : programs_) p->detach();
}

}  // namespace ringside
