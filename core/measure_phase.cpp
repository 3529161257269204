// Running one baseline or agent phase of `ringside measure`; see measure_phase.h.
#include "measure_phase.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include <fmt/format.h>

#include "agent_process.h"
#include "results.h"
#include "workload_process.h"

namespace ringside {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t ns_between(Clock::time_point a, Clock::time_point b) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count());
}

std::set<uint32_t> new_owned_programs(const std::set<uint32_t>& before, const std::vector<pid_t>& tree,
                                      std::size_t* unattributed) {
  const std::set<uint32_t> owned = prog_ids_owned_by(tree);
  std::set<uint32_t> mine;
  std::size_t others = 0;
  for (uint32_t id : list_prog_ids()) {
    if (before.count(id)) continue;
    if (owned.count(id)) {
      mine.insert(id);
    } else {
      ++others;
    }
  }
  if (unattributed) *unattributed = others;
  return mine;
}

std::map<uint32_t, ProgStats> read_all(const std::set<uint32_t>& ids) {
  std::map<uint32_t, ProgStats> out;
  for (uint32_t id : ids)
    if (auto s = read_prog_stats(id)) out[id] = *s;
  return out;
}

std::string settle_failure(const AgentProcess& agent, int status) {
  const std::string tail = tail_lines(agent.stderr_path(), 10);
  return fmt::format("agent exited during settle ({}); last stderr lines:\n{}", describe_wait_status(status),
                     tail.empty() ? "(none)\n" : tail);
}

}  // namespace

uint64_t PhaseResult::bpf_ns() const {
  uint64_t ns = 0;
  for (const auto& p : programs) ns += p.run_time_ns;
  return ns;
}

uint64_t PhaseResult::bpf_runs() const {
  uint64_t n = 0;
  for (const auto& p : programs) n += p.run_cnt;
  return n;
}

double PhaseResult::agent_cpu_pct(int cpus) const { return pct_of_machine(agent_cpu_ns, wall_ns, cpus); }
double PhaseResult::bpf_cpu_pct(int cpus) const { return pct_of_machine(bpf_ns(), wall_ns, cpus); }

nlohmann::json program_json(const ProgStats& p) {
  return {{"id", p.id},
          {"name", p.name},
          {"type", p.type},
          {"run_cnt", p.run_cnt},
          {"run_time_ns", p.run_time_ns},
          {"ns_per_run", p.run_cnt ? static_cast<double>(p.run_time_ns) / static_cast<double>(p.run_cnt) : 0.0}};
}

nlohmann::json PhaseResult::to_json(int cpus) const {
  nlohmann::json j = {{"index", round}, {"phase", phase}, {"warmup", round == 0},
                      {"valid", valid}, {"workload", workload.to_json()}, {"wall_ns", wall_ns}};
  if (!valid) j["invalid_reason"] = invalid_reason;
  if (phase != "agent") return j;
  const uint64_t runs = bpf_runs();
  j["cpu"] = {{"agent_user_ns", agent_cpu_ns},
              {"agent_processes", agent_processes},
              {"bpf_ns", bpf_ns()},
              {"bpf_run_cnt", runs},
              {"kernel_ns_per_event", runs ? static_cast<double>(bpf_ns()) / static_cast<double>(runs) : 0.0},
              {"agent_cpu_pct", agent_cpu_pct(cpus)},
              {"bpf_cpu_pct", bpf_cpu_pct(cpus)},
              {"pct_of_machine", agent_cpu_pct(cpus) + bpf_cpu_pct(cpus)}};
  j["bpf_programs"] = nlohmann::json::array();
  for (const auto& p : programs) j["bpf_programs"].push_back(program_json(p));
  j["unattributed_programs"] = unattributed_programs;
  j["stop_signal"] = stop_signal;
  return j;
}

PhaseResult run_baseline_phase(const MeasureConfig& config, int round) {
  PhaseResult r;
  r.round = round;
  r.phase = "baseline";
  WorkloadProcess workload = WorkloadProcess::spawn(config.workload);
  const auto t0 = Clock::now();
  workload.go();
  r.workload = workload.wait();
  r.wall_ns = ns_between(t0, Clock::now());
  return r;
}

PhaseResult run_agent_phase(const MeasureConfig& config, int round) {
  PhaseResult r;
  r.round = round;
  r.phase = "agent";
  const std::vector<uint32_t> listed = list_prog_ids();
  const std::set<uint32_t> before(listed.begin(), listed.end());
  AgentProcess agent = AgentProcess::spawn(config.agent, fmt::format("{}/agent-{}.out", config.out_dir, round),
                                           fmt::format("{}/agent-{}.err", config.out_dir, round));
  const auto settle = std::chrono::milliseconds(static_cast<int64_t>(config.settle_s * 1000));
  if (auto status = agent.wait_for_exit(settle)) throw AgentFailedToSettle(settle_failure(agent, *status));

  // The workload is set up (its exec and setup syscalls happen) before the window opens.
  WorkloadProcess workload = WorkloadProcess::spawn(config.workload);
  std::set<uint32_t> ids = new_owned_programs(before, agent.tree(), &r.unattributed_programs);
  const std::map<uint32_t, ProgStats> stats_start = read_all(ids);
  const TreeCpuSample cpu_start = sample_tree_cpu(agent.tree());
  const auto t0 = Clock::now();
  workload.go();
  r.workload = workload.wait();
  const auto t1 = Clock::now();
  const std::vector<pid_t> tree_end = agent.tree();
  const TreeCpuSample cpu_end = sample_tree_cpu(tree_end);
  // Programs loaded late (after settle) count too, from their load on.
  for (uint32_t id : new_owned_programs(before, tree_end, &r.unattributed_programs)) ids.insert(id);
  const std::map<uint32_t, ProgStats> stats_end = read_all(ids);

  r.wall_ns = ns_between(t0, t1);
  r.agent_cpu_ns = tree_cpu_delta_ns(cpu_start, cpu_end);
  r.agent_processes = tree_end.size();
  for (const auto& [id, end] : stats_end) {
    const auto it = stats_start.find(id);
    r.programs.push_back(it == stats_start.end() ? end : prog_stats_delta(it->second, end));
  }
  if (auto status = agent.poll_exit()) {
    r.valid = false;
    r.invalid_reason = fmt::format("agent exited during the workload ({}); last stderr lines:\n{}",
                                   describe_wait_status(*status), tail_lines(agent.stderr_path(), 10));
  }
  agent.stop();
  r.stop_signal = agent.stop_signal();
  return r;
}

}  // namespace ringside
