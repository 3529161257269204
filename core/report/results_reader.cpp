#include "results_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>

#include "usage_error.h"

namespace ringside::gate {
namespace {

using nlohmann::json;

constexpr std::array kPercentiles = {"p50", "p90", "p99", "p999", "max"};
constexpr std::array kCpuFields = {"ns_per_event", "kernel_ns_per_event", "user_ns_per_event",
                                   "pct_of_machine"};

// Collects samples into metrics, created on first sight so display order is input order.
class MetricTable {
 public:
  void add(const Metric& shape, double value) {
    auto it = std::find_if(metrics_.begin(), metrics_.end(),
                           [&](const Metric& m) { return m.name == shape.name; });
    if (it == metrics_.end()) {
      metrics_.push_back(shape);
      it = std::prev(metrics_.end());
    }
    it->values.push_back(value);
  }
  std::vector<Metric> take() { return std::move(metrics_); }

 private:
  std::vector<Metric> metrics_;
};

Metric make_metric(std::string name, std::string unit, Better better = Better::lower,
                   Scale scale = Scale::ratio) {
  Metric m;
  m.name = std::move(name);
  m.unit = std::move(unit);
  m.better = better;
  m.scale = scale;
  return m;
}

const json* number_at(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it != object.end() && it->is_number() ? &*it : nullptr;
}

std::string part_of(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key)) return "unknown";
  const json& v = object.at(key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number()) return fmt::format("{}", v.get<double>());
  return "unknown";
}

void add_latency(const json& run, MetricTable& table) {
  const json& latency = run.value("latency_ns", json::object());
  if (!latency.is_object()) return;
  std::vector<std::string> stages(kStageNames.begin(), kStageNames.end());
  for (const auto& [stage, _] : latency.items())  // stages this build does not know yet
    if (std::find(stages.begin(), stages.end(), stage) == stages.end()) stages.push_back(stage);
  for (const std::string& stage : stages) {
    if (!latency.contains(stage)) continue;
    for (const char* pct : kPercentiles)
      if (const json* v = number_at(latency.at(stage), pct))
        table.add(make_metric(fmt::format("latency.{}.{}", stage, pct), "ns"), v->get<double>());
  }
}

void add_drops(const json& run, MetricTable& table) {
  const json& events = run.value("events", json::object());
  const json& dropped = events.is_object() ? events.value("dropped", json::object()) : json::object();
  if (!dropped.is_object()) return;
  double total = 0;
  for (const auto& [cause, n] : dropped.items())
    if (n.is_number()) total += n.get<double>();
  const json* expected = number_at(events, "expected");
  const json* received = number_at(events, "received");
  double denominator = expected ? expected->get<double>() : 0;
  if (denominator <= 0 && received) denominator = received->get<double>() + total;
  if (denominator <= 0) return;  // no events at all: a drop ratio means nothing
  Metric m = make_metric("drops.total", "fraction");
  m.zero_tolerance = true;
  table.add(m, total / denominator);
  for (const auto& [cause, n] : dropped.items()) {
    if (!n.is_number()) continue;
    m.name = "drops." + cause;
    table.add(m, n.get<double>() / denominator);
  }
}

void add_traced_run(const json& run, MetricTable& table) {
  add_latency(run, table);
  const json& cpu = run.value("cpu", json::object());
  for (const char* field : kCpuFields)
    if (const json* v = number_at(cpu, field))
      table.add(make_metric(fmt::format("cpu.{}", field),
                            std::string_view(field) == "pct_of_machine" ? "%" : "ns"),
                v->get<double>());
  const json& workload = run.value("workload", json::object());
  if (const json* v = number_at(workload, "ops_per_sec"))
    table.add(make_metric("workload.ops_per_sec", "ops/s", Better::higher), v->get<double>());
  // Already a percentage of the paired baseline: compared as a difference in points.
  if (const json* v = number_at(run, "slowdown_pct"))
    table.add(make_metric("slowdown_pct", "pp", Better::lower, Scale::difference), v->get<double>());
  add_drops(run, table);
}

GateInput make_input(const json& doc, const std::string& path, std::string_view format) {
  GateInput in;
  in.path = path;
  in.format = std::string(format);
  in.host_class = host_class(doc);
  return in;
}

GateInput parse_results(const json& doc, const std::string& path) {
  const json& runs = doc.value("runs", json::array());
  if (!runs.is_array() || runs.empty())
    throw UsageError(fmt::format("{}: no runs[] (the gate needs per-repetition results)", path));
  MetricTable table;
  std::size_t traced = 0;
  for (const json& run : runs) {
    if (!run.is_object() || run.value("phase", std::string("traced")) != "traced") continue;
    ++traced;
    add_traced_run(run, table);
  }
  if (traced == 0) throw UsageError(fmt::format("{}: no traced runs in runs[]", path));

  GateInput in = make_input(doc, path, kResultsSchema);
  const json& scenario = doc.value("scenario", json::object());
  for (const char* key : {"workload", "rate", "threads", "transport", "workers", "wakeup"})
    if (scenario.is_object() && scenario.contains(key)) in.scenario[key] = scenario.at(key);
  in.metrics = table.take();
  // as for benchmark JSON: a file with nothing to compare must not become a baseline
  if (in.metrics.empty()) throw UsageError(fmt::format("{}: no metrics in its traced runs", path));
  in.default_metrics = {"latency.end_to_end.p50", "latency.end_to_end.p99", "cpu.ns_per_event",
                        "workload.ops_per_sec",   "slowdown_pct",           "drops.total"};
  return in;
}

double to_ns(const std::string& unit) {
  if (unit == "us") return 1e3;
  if (unit == "ms") return 1e6;
  if (unit == "s") return 1e9;
  return 1.0;
}

GateInput parse_benchmark(const json& doc, const std::string& path) {
  const json& rows = doc.at("benchmarks");
  if (!rows.is_array()) throw UsageError(fmt::format("{}: benchmarks is not an array", path));
  MetricTable table;
  for (const json& row : rows) {
    if (!row.is_object() || row.value("run_type", std::string("iteration")) != "iteration") continue;
    if (row.value("error_occurred", false)) continue;  // SkipWithError: no number to compare
    const std::string name = row.value("run_name", row.value("name", std::string()));
    if (name.empty()) continue;
    if (const json* v = number_at(row, "real_time"))
      table.add(make_metric(name + ".real_time", "ns"),
                v->get<double>() * to_ns(row.value("time_unit", std::string("ns"))));
    for (const char* rate : {"items_per_second", "bytes_per_second"})
      if (const json* v = number_at(row, rate))
        table.add(make_metric(fmt::format("{}.{}", name, rate),
                              std::string_view(rate) == "items_per_second" ? "items/s" : "B/s",
                              Better::higher),
                  v->get<double>());
  }
  GateInput in = make_input(doc, path, kBenchmarkFormat);
  in.metrics = table.take();
  if (in.metrics.empty()) throw UsageError(fmt::format("{}: no benchmark iteration rows", path));
  in.default_metrics = {"*"};
  return in;
}

}  // namespace

const Metric* GateInput::find(std::string_view name) const {
  for (const Metric& m : metrics)
    if (m.name == name) return &m;
  return nullptr;
}

std::string host_class(const json& results) {
  std::string kernel, cpus, transport;
  if (results.contains("context") && results.at("context").is_object()) {
    const json& context = results.at("context");
    kernel = part_of(context, "kernel");
    cpus = part_of(context, "num_cpus");
    transport = context.contains("transport") ? part_of(context, "transport") : "microbench";
  } else {
    const json& host = results.value("host", json::object());
    kernel = part_of(host, "kernel");
    cpus = part_of(host, "cpus");
    transport = part_of(host, "transport");
    if (transport == "unknown") transport = part_of(results.value("scenario", json::object()), "transport");
  }
  std::string cls = fmt::format("{}-{}cpu-{}", kernel, cpus, transport);
  for (char& c : cls)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  return cls;
}

GateInput parse_gate_input(const json& doc, const std::string& path) {
  if (!doc.is_object()) throw UsageError(fmt::format("{}: not a json object", path));
  if (doc.contains("benchmarks") && doc.contains("context")) return parse_benchmark(doc, path);
  if (!doc.contains("schema"))
    throw UsageError(fmt::format("{}: neither ringside results (no schema) nor google benchmark json", path));
  const json& schema = doc.at("schema");
  if (!schema.is_string() || schema.get<std::string>() != kResultsSchema)
    throw UsageError(fmt::format("{}: unsupported schema {} (expected {})", path, schema.dump(), kResultsSchema));
  return parse_results(doc, path);
}

json parse_json_file(std::istream& in, const std::string& path) {
  // Nesting is bounded: results are a few levels deep, and a hostile file a million levels deep
  // must be a clear error, not a stack overflow in whoever walks it next.
  struct TooDeep {};
  const json::parser_callback_t bounded = [](int depth, json::parse_event_t, json&) {
    if (depth > kMaxJsonDepth) throw TooDeep{};
    return true;
  };
  json doc;
  try {
    doc = json::parse(in, bounded, /*allow_exceptions=*/false);
  } catch (const TooDeep&) {
    throw UsageError(fmt::format("{}: nested deeper than {} levels: not a results file", path, kMaxJsonDepth));
  }
  if (doc.is_discarded()) throw UsageError(fmt::format("{}: not valid json", path));
  return doc;
}

GateInput load_gate_input(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw UsageError(fmt::format("cannot open {}", path));
  json doc = parse_json_file(file, path);
  try {
    return parse_gate_input(doc, path);
  } catch (const json::exception& e) {  // a field of the wrong type
    throw UsageError(fmt::format("{}: malformed results: {}", path, e.what()));
  }
}

bool metric_matches(std::string_view pattern, std::string_view name) {
  // Greedy wildcard match with backtracking to the last '*'.
  std::size_t p = 0, n = 0, star = std::string_view::npos, resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p;
      ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace ringside::gate
