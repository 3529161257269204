#include "measure_summary.h"

#include <map>
#include <tuple>

#include "summary.h"

namespace ringside {
namespace {

// Per program, summed over the measured rounds. Ids change when the agent restarts, so a program
// is known by (name, type, how many same-named programs of its round come before it); the last
// round's id is kept.
std::vector<BpfProgramCost> program_totals(const std::vector<const MeasurePhase*>& agent_runs) {
  std::map<std::tuple<std::string, std::string, int>, BpfProgramCost> totals;
  for (const MeasurePhase* r : agent_runs) {
    std::map<std::pair<std::string, std::string>, int> seen;
    for (const BpfProgramCost& p : r->programs) {  // ascending id order within a round
      BpfProgramCost& t = totals[{p.name, p.type, seen[{p.name, p.type}]++}];
      t.id = p.id;
      t.name = p.name;
      t.type = p.type;
      t.run_cnt += p.run_cnt;
      t.run_time_ns += p.run_time_ns;
    }
  }
  std::vector<BpfProgramCost> out;
  for (const auto& [key, p] : totals) out.push_back(p);
  return out;
}

}  // namespace

MeasureSummary summarize_measure(std::vector<MeasurePhase>& runs, const MeasureScenario& sc, int cpus) {
  std::map<int, const MeasurePhase*> base, agent;
  for (const auto& r : runs)
    if (r.round > 0 && r.valid) (r.agent ? agent : base)[r.round] = &r;
  for (auto& r : runs)
    if (r.agent && r.valid && base.count(r.round) && base[r.round]->workload.ops_per_sec > 0)
      r.slowdown_pct = (1.0 - r.workload.ops_per_sec / base[r.round]->workload.ops_per_sec) * 100.0;

  std::vector<double> base_ops, agent_ops, base_eff, agent_eff, ops, agent_pct, bpf_pct, total_pct, bpf_ns, user_ns;
  std::vector<const MeasurePhase*> agent_runs;
  uint64_t sum_bpf_ns = 0, sum_runs = 0, sum_ops = 0;
  for (const auto& [round, ar] : agent) {
    if (!base.count(round)) continue;
    base_ops.push_back(base[round]->workload.ops_per_sec);
    agent_ops.push_back(ar->workload.ops_per_sec);
    base_eff.push_back(base[round]->ops_per_cpu_sec());
    agent_eff.push_back(ar->ops_per_cpu_sec());
    ops.push_back(static_cast<double>(ar->workload.ops));
    agent_pct.push_back(ar->agent_cpu_pct(cpus));
    bpf_pct.push_back(ar->bpf_cpu_pct(cpus));
    total_pct.push_back(agent_pct.back() + bpf_pct.back());
    bpf_ns.push_back(static_cast<double>(ar->bpf_ns()));
    user_ns.push_back(static_cast<double>(ar->agent_cpu_ns));
    sum_bpf_ns += ar->bpf_ns();
    sum_runs += ar->bpf_runs();
    sum_ops += ar->workload.ops;
    agent_runs.push_back(ar);
  }
  MeasureSummary s;
  for (const auto& r : runs) s.phases_with_foreign_bpf += r.round > 0 && !r.foreign_programs.empty();
  const std::vector<double> slowdowns = paired_slowdowns(base_ops, agent_ops);
  // The same slowdown in ops per workload CPU-second: immune to CPU taken by unrelated load.
  const std::vector<double> per_cpu = paired_slowdowns(base_eff, agent_eff);
  auto per = [](uint64_t ns, uint64_t n) { return n ? static_cast<double>(ns) / static_cast<double>(n) : 0.0; };
  s.ops = static_cast<uint64_t>(median(ops));
  s.ops_per_sec = median(agent_ops);
  s.target_rate = sc.rate;
  s.baseline_ops_per_sec = median(base_ops);
  s.traced_ops_per_sec = median(agent_ops);
  s.slowdown_pct = median(slowdowns);
  s.ci95 = bootstrap_median_ci95(slowdowns);
  s.paired_rounds = slowdowns.size();
  s.baseline_ops_per_cpu_sec = median(base_eff);
  s.traced_ops_per_cpu_sec = median(agent_eff);
  s.per_cpu_slowdown_pct = median(per_cpu);
  s.per_cpu_ci95 = bootstrap_median_ci95(per_cpu);
  s.bpf_ns = median(bpf_ns);
  s.agent_user_ns = median(user_ns);
  s.pct_of_machine = median(total_pct);
  s.budget_pct = sc.budget_pct;
  s.kernel_ns_per_event = per(sum_bpf_ns, sum_runs);
  s.bpf_ns_per_workload_op = per(sum_bpf_ns, sum_ops);
  s.agent_cpu_pct = median(agent_pct);
  s.bpf_cpu_pct = median(bpf_pct);
  s.programs = program_totals(agent_runs);
  return s;
}

}  // namespace ringside
