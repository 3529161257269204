#include "results.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "cli.h"
#include "syscall_names.h"

namespace ringside {

nlohmann::json host_json(const ProbeReport& probe, const std::string& transport, const std::string& wakeup,
                         const std::string& hook) {
  return {{"kernel", probe.kernel},
          {"kernel_version", probe.version},
          {"preempt_rt", probe.preempt_rt},
          {"cpus", probe.cpus},
          {"btf", probe.has("btf")},
          {"jit", probe.has("jit")},
          {"transport", transport},
          {"wakeup", wakeup},
          {"hook", hook},
          {"ringside_version", RINGSIDE_VERSION}};
}

nlohmann::json latency_json(const StageHistograms& hist) {
  nlohmann::json out = nlohmann::json::object();
  for (int s = 0; s < static_cast<int>(Stage::count); ++s) {
    const LogHistogram& h = hist.stage[static_cast<std::size_t>(s)];
    nlohmann::json j = {{"count", h.count()},        {"p50", h.percentile(50)},   {"p90", h.percentile(90)},
                        {"p99", h.percentile(99)},   {"p999", h.percentile(99.9)}, {"max", h.max()}};
    if (static_cast<Stage>(s) == Stage::end_to_end && h.count() > 0) {
      nlohmann::json cdf = nlohmann::json::array();
      for (const auto& [v, f] : h.cdf(100)) cdf.push_back({v, f});
      j["cdf"] = cdf;
    }
    out[kStageNames[s]] = j;
  }
  return out;
}

nlohmann::json events_json(const SessionReport& rep, std::optional<uint64_t> expected, bool detached) {
  const auto& k = rep.total.kernel;
  const auto& u = rep.total.user;
  nlohmann::json by_syscall = nlohmann::json::object();
  for (int nr = 0; nr < RS_MAX_SYSCALLS; ++nr)
    if (rep.aggregate.by_nr[static_cast<std::size_t>(nr)]) by_syscall[syscall_name(nr)] = rep.aggregate.by_nr[static_cast<std::size_t>(nr)];
  const uint64_t received = rep.received();
  const uint64_t dropped = rep.dropped_total();
  const uint64_t issued = expected.value_or(k.matched);
  nlohmann::json j = {
      {"expected", issued},
      {"expected_source", expected ? "workload" : "kernel_matched"},
      {"matched", k.matched},
      {"received", received},
      {"dropped",
       {{"kernel_reserve", k.kernel_reserve},
        {"perf_lost", k.perf_output},
        {"sampled_out", k.sampled_out},
        {"queue_full", u.queue_full},
        {"pool_exhausted", u.pool_exhausted},
        {"malformed", u.malformed}}},
      {"dropped_total", dropped},
      {"conserved", received + dropped == k.matched && (detached ? k.matched <= issued : k.matched == issued)},
      {"by_syscall", by_syscall}};
  if (detached) j["unobserved_after_detach"] = issued >= k.matched ? issued - k.matched : 0;
  if (rep.transport == "perfbuf") j["perf_lost_reported"] = rep.perf_lost_reported;
  return j;
}

double pct_of_machine(uint64_t cpu_ns, uint64_t wall_ns, int cpus) {
  if (wall_ns == 0 || cpus <= 0) return 0.0;
  return static_cast<double>(cpu_ns) / (static_cast<double>(wall_ns) * cpus) * 100.0;
}

nlohmann::json cpu_json(const SessionReading& r, uint64_t events, int cpus, double budget_pct) {
  const uint64_t user = r.consumer_ns + r.workers_ns;
  const double pct = pct_of_machine(r.bpf_ns + user, r.wall_ns, cpus);
  auto per = [&](uint64_t ns) { return events ? static_cast<double>(ns) / static_cast<double>(events) : 0.0; };
  return {{"bpf_ns", r.bpf_ns},
          {"bpf_runs", r.bpf_runs},
          {"consumer_ns", r.consumer_ns},
          {"workers_ns", r.workers_ns},
          {"wall_ns", r.wall_ns},
          {"ns_per_event", per(r.bpf_ns + user)},
          {"kernel_ns_per_event", per(r.bpf_ns)},
          {"user_ns_per_event", per(user)},
          {"pct_of_machine", pct},
          {"budget_pct", budget_pct},
          {"within_budget", pct <= budget_pct}};
}

void check_output_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw UsageError(fmt::format("cannot create --out {}: {}", dir, ec.message()));
  const auto probe = std::filesystem::path(dir) / ".ringside-write-test";
  std::ofstream f(probe);
  if (!f) throw UsageError(fmt::format("cannot write to --out {}: {}", dir, std::strerror(errno)));
  f.close();
  std::filesystem::remove(probe, ec);
}

void write_results(const std::string& dir, const nlohmann::json& results) {
  check_output_dir(dir);
  const auto path = std::filesystem::path(dir) / "results.json";
  const auto tmp = std::filesystem::path(dir) / "results.json.tmp";
  {
    std::ofstream f(tmp);
    f << results.dump(2) << '\n';
    if (!f) throw UsageError(fmt::format("cannot write {}: {}", tmp.string(), std::strerror(errno)));
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace ringside
