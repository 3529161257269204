// WorkloadResult <-> the one JSON line ringside-workload prints at the end of a run.
#include "workload.h"

namespace ringside {

nlohmann::json WorkloadResult::to_json() const {
  nlohmann::json j;
  j["kind"] = to_string(kind);
  j["threads"] = threads;
  j["target_rate"] = target_rate > 0 ? nlohmann::json(target_rate) : nlohmann::json(nullptr);
  j["ops"] = ops;
  j["by_syscall"] = by_syscall;
  j["elapsed_s"] = elapsed_s;
  j["ops_per_sec"] = ops_per_sec;
  j["worst_lag_ns"] = worst_lag_ns;
  j["errors"] = errors;
  j["missed_ops"] = missed_ops;
  j["write_ns"] = write_ns;
  j["burst"] = burst_on_ms > 0 ? nlohmann::json{{"on_ms", burst_on_ms}, {"off_ms", burst_off_ms}}
                               : nlohmann::json(nullptr);
  return j;
}

WorkloadResult WorkloadResult::from_json(const nlohmann::json& j) {
  WorkloadResult r;
  r.kind = parse_enum<WorkloadKind>(j.at("kind").get<std::string>()).value_or_throw("workload result kind");
  r.threads = j.at("threads").get<int>();
  const auto& target = j.at("target_rate");
  r.target_rate = target.is_null() ? 0.0 : target.get<double>();
  r.ops = j.at("ops").get<uint64_t>();
  r.by_syscall = j.at("by_syscall").get<std::map<std::string, uint64_t>>();
  r.elapsed_s = j.at("elapsed_s").get<double>();
  r.ops_per_sec = j.at("ops_per_sec").get<double>();
  r.worst_lag_ns = j.at("worst_lag_ns").get<uint64_t>();
  r.errors = j.at("errors").get<uint64_t>();
  r.missed_ops = j.value("missed_ops", uint64_t{0});
  r.write_ns = j.value("write_ns", uint64_t{0});
  if (const auto& burst = j.at("burst"); !burst.is_null()) {
    r.burst_on_ms = burst.at("on_ms").get<double>();
    r.burst_off_ms = burst.at("off_ms").get<double>();
  }
  return r;
}

}  // namespace ringside
