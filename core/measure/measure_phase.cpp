// Running one baseline or agent phase of `ringside measure`; see measure_phase.h.
#include "measure_phase.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include <fmt/format.h>

#include "agent_process.h"
#include "workload_process.h"

namespace ringside {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t ns_between(Clock::time_point a, Clock::time_point b) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count());
}

// Programs loaded since `before` that some process of `tree` holds an fd of.
std::set<uint32_t> new_owned_programs(const std::set<uint32_t>& before, const std::vector<pid_t>& tree) {
  const std::set<uint32_t> owned = prog_ids_owned_by(tree);
  std::set<uint32_t> mine;
  for (uint32_t id : list_prog_ids())
    if (!before.count(id) && owned.count(id)) mine.insert(id);
  return mine;
}

std::map<uint32_t, ProgStats> read_all(const std::vector<uint32_t>& ids) {
  std::map<uint32_t, ProgStats> out;
  for (uint32_t id : ids)
    if (auto s = read_prog_stats(id)) out[id] = *s;
  return out;
}

// "agent exited <when> (status 3); last stderr lines:" and the tail, without a trailing newline.
std::string agent_exit_message(const std::string& when, int status, const std::string& stderr_path) {
  std::string tail = tail_lines(stderr_path, 10);
  while (!tail.empty() && tail.back() == '\n') tail.pop_back();
  return fmt::format("agent exited {} ({}); last stderr lines:\n{}", when, describe_wait_status(status),
                     tail.empty() ? "(none)" : tail);
}

// User + system CPU of every child this process has reaped so far (they include their own
// reaped descendants).
uint64_t reaped_children_cpu_ns() {
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  auto ns = [](const timeval& tv) {
    return static_cast<uint64_t>(tv.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(tv.tv_usec) * 1000ull;
  };
  return ns(ru.ru_utime) + ns(ru.ru_stime);
}

}  // namespace

namespace {

// Runs the workload once and fills `r`'s workload, wall and CPU figures; with an agent also its
// tree CPU and its programs' deltas. Every program that ran in the window and is not the agent's
// is reported as foreign activity (someone else tracing this machine meanwhile).
BpfProgramCost cost_of(const ProgStats& p) { return {p.id, p.name, p.type, p.run_cnt, p.run_time_ns}; }

void run_window(const MeasureConfig& config, MeasurePhase& r, AgentProcess* agent, const std::set<uint32_t>& before) {
  // The workload is set up (its exec and setup syscalls happen) before the window opens.
  const uint64_t children_before = reaped_children_cpu_ns();
  SpawnOptions spawn;
  spawn.stop = config.stop;
  WorkloadProcess workload = WorkloadProcess::spawn(config.workload, spawn);
  std::set<uint32_t> mine;
  if (agent) mine = new_owned_programs(before, agent->tree());
  const std::map<uint32_t, ProgStats> start = read_all(list_prog_ids());
  const TreeCpuSample cpu_start = agent ? sample_tree_cpu(agent->tree()) : TreeCpuSample{};
  const auto t0 = Clock::now();
  workload.go();
  workload.wait_done();
  r.workload = workload.wait();
  const auto t1 = Clock::now();
  r.workload_cpu_ns = reaped_children_cpu_ns() - children_before;
  if (agent) {
    const std::vector<pid_t> tree_end = agent->tree();
    r.agent_cpu_ns = tree_cpu_delta_ns(cpu_start, sample_tree_cpu(tree_end));
    r.agent_processes = tree_end.size();
    // Programs loaded late (after settle) count too, from their load on.
    for (uint32_t id : new_owned_programs(before, tree_end)) mine.insert(id);
  }
  const std::map<uint32_t, ProgStats> end = read_all(list_prog_ids());
  r.wall_ns = ns_between(t0, t1);
  for (const auto& [id, after] : end) {
    const auto it = start.find(id);
    const ProgStats delta = it == start.end() ? after : prog_stats_delta(it->second, after);
    if (mine.count(id)) {
      r.programs.push_back(cost_of(delta));
    } else if (delta.run_cnt > 0) {
      r.foreign_run_cnt += delta.run_cnt;
      r.foreign_run_time_ns += delta.run_time_ns;
      r.foreign_programs.push_back(delta.name);
    }
  }
}

}  // namespace

MeasurePhase run_baseline_phase(const MeasureConfig& config, int round) {
  MeasurePhase r;
  r.round = round;
  r.agent = false;
  run_window(config, r, nullptr, {});
  return r;
}

MeasurePhase run_agent_phase(const MeasureConfig& config, int round) {
  MeasurePhase r;
  r.round = round;
  r.agent = true;
  const std::vector<uint32_t> listed = list_prog_ids();
  const std::set<uint32_t> before(listed.begin(), listed.end());
  AgentProcess agent = AgentProcess::spawn(config.agent, fmt::format("{}/agent-{}.out", config.out_dir, round),
                                           fmt::format("{}/agent-{}.err", config.out_dir, round));
  const auto settle = std::chrono::milliseconds(static_cast<int64_t>(config.settle_s * 1000));
  if (auto status = agent.wait_for_exit(settle))
    throw AgentFailedToSettle(agent_exit_message("during settle", *status, agent.stderr_path()));
  run_window(config, r, &agent, before);
  if (auto status = agent.poll_exit()) {
    r.valid = false;
    r.invalid_reason = agent_exit_message("during the workload", *status, agent.stderr_path());
  }
  agent.stop();
  r.stop_signal = agent.stop_signal();
  return r;
}

}  // namespace ringside
