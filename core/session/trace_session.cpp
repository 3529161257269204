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

std::vector<std::vector<ProgRuntime>> runtime_of(const std::vector<std::unique_ptr<LoadedProgram>>& programs) {
  std::vector<std::vector<ProgRuntime>> all;
  for (const auto& p : programs) all.push_back(p->runtime());
  return all;
}

// One program's run time accumulated since `before`, per BPF program id.
ProgramBpf bpf_delta(const std::vector<ProgRuntime>& before, const std::vector<ProgRuntime>& after) {
  ProgramBpf d;
  for (const auto& a : after) {
    uint64_t b_ns = 0, b_runs = 0;
    for (const auto& b : before)
      if (b.id == a.id) b_ns = b.run_time_ns, b_runs = b.run_cnt;
    d.ns += a.run_time_ns - b_ns;
    d.runs += a.run_cnt - b_runs;
    d.ns_by_prog[a.id] += a.run_time_ns - b_ns;
  }
  return d;
}

}  // namespace

RecordFormat record_format_of(const std::vector<ProgramId>& programs, const LoadOptions& load) {
  std::vector<ProgramFormat> formats;
  for (ProgramId id : programs) formats.push_back(program_spec(id).format(load));
  return RecordFormat(std::move(formats), load.transport == Transport::perfbuf);
}

TraceSession::TraceSession(SessionConfig config) : config_(std::move(config)) {
  if (config_.programs.empty()) throw std::invalid_argument("a session needs at least one program");
  if (config_.bpf_stats) stats_ = acquire_bpf_stats();  // never a silent 0 for the kernel's share
  // Every program after the first shares its target set, and, with shared rings, its ring. One
  // program follows children for them all (the programs whose events come from children ask).
  bool follow = config_.load.follow_children;
  for (ProgramId id : config_.programs) follow = follow || program_spec(id).follows_children;
  for (ProgramId id : config_.programs) {
    LoadOptions o = config_.load;
    o.follow_children = follow && programs_.empty();
    o.per_cpu_rings = config_.rings == RingLayout::per_cpu;
    if (!programs_.empty()) {
      o.reuse_targets_fd = programs_.front()->targets_fd();
      if (config_.rings == RingLayout::shared) o.reuse_events_fd = programs_.front()->events_fd();
      if (o.per_cpu_rings) o.reuse_rings_fd = programs_.front()->rings_map_fd();
    }
    programs_.push_back(program_spec(id).load(o));
  }
  config_.pipeline.format = record_format_of(config_.programs, config_.load);
  std::vector<int> rings;
  if (config_.rings == RingLayout::per_cpu) rings = programs_.front()->ring_fds();  // every program's
  for (const auto& p : programs_)
    if (config_.rings == RingLayout::per_program || rings.empty()) rings.push_back(p->events_fd());
  if (config_.consumer == Consumer::counting) {
    if (config_.load.transport != Transport::ringbuf || rings.size() != 1)
      throw std::runtime_error("the counting consumer reads one ring buffer");
    counting_ = std::make_unique<CountingConsumer>(rings.front(), config_.pipeline.poll_timeout_ms);
  } else if (config_.consumer == Consumer::pipeline) {
    SourceConfig sc{config_.load.transport, config_.load.wakeup, rings, config_.load.ring_bytes, {}};
    for (const auto& p : programs_) sc.idle_flags.push_back(p->reader_idle_flag());
    if (std::find(sc.idle_flags.begin(), sc.idle_flags.end(), nullptr) != sc.idle_flags.end()) sc.idle_flags.clear();
    pipeline_ = std::make_unique<Pipeline>(config_.pipeline, [&](RecordSink& sink) { return make_source(sc, sink); });
  }
}

TraceSession::~TraceSession() { stop(); }

void TraceSession::add_target(uint32_t tgid) {
  programs_.front()->add_target(tgid);  // the set is shared
  targets_.push_back(static_cast<pid_t>(tgid));
}

void TraceSession::start() {
  attach();
  start_consumers();
}

void TraceSession::attach() {
  bpf_at_start_ = runtime_of(programs_);
  start_ns_ = now_ns();
  try {
    for (auto& p : programs_) p->attach({targets_});
  } catch (...) {
    for (auto& p : programs_) p->detach();
    throw;
  }
  running_ = true;
}

void TraceSession::start_consumers() {
  if (pipeline_) pipeline_->start();
  if (counting_) counting_->start();
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
  const auto now = runtime_of(programs_);
  for (std::size_t i = 0; i < now.size(); ++i) {
    const ProgramBpf d = bpf_delta(i < bpf_at_start_.size() ? bpf_at_start_[i] : std::vector<ProgRuntime>{}, now[i]);
    r.bpf_ns += d.ns;
    r.bpf_runs += d.runs;
  }
  if (pipeline_) {
    r.consumer_ns = pipeline_->consumer_cpu_ns();
    r.workers_ns = pipeline_->workers_cpu_ns();
    r.handled = pipeline_->handled();
    r.user = pipeline_->drops();
    for (std::size_t i = 0; i < programs_.size(); ++i) r.user_per_program.push_back(pipeline_->drops_of(i));
  } else {
    r.user_per_program.resize(programs_.size());
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
  const auto now = runtime_of(programs_);
  for (std::size_t i = 0; i < now.size(); ++i)
    rep.bpf_by_program.push_back(
        bpf_delta(i < bpf_at_start_.size() ? bpf_at_start_[i] : std::vector<ProgRuntime>{}, now[i]));
  if (pipeline_) {
    rep.aggregate = pipeline_->aggregate();
    rep.perf_lost_reported = pipeline_->perf_lost_reported();
  }
  if (counting_) rep.aggregate.handled = counting_->count();
  for (const auto& p : programs_) rep.aggregates.push_back(p->aggregate_counts());
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
