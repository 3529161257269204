// Reading results back, for the gate: per-repetition metric samples from results.json or from
// Google Benchmark JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "model.h"
#include "rank_tests.h"

namespace ringside::gate {

using stats::Scale;

inline constexpr std::string_view kBenchmarkFormat = "google-benchmark";

enum class Better { lower, higher };

// One metric's samples, one value per repetition (repetitions lacking the metric are
// left out, so `values.size()` is the number of usable repetitions).
struct Metric {
  std::string name;  // e.g. "latency.end_to_end.p50", "BM_spsc/1024.real_time"
  std::string unit;  // "ns", "ops/s", "%", "fraction", "items/s", ...
  Better better = Better::lower;
  Scale scale = Scale::ratio;
  // Drops: a baseline with none in any repetition and a current with some is a regression
  // without needing significance ("no silent loss, ever").
  bool zero_tolerance = false;
  std::vector<double> values;
};

struct GateInput {
  std::string path;
  std::string format;      // kResultsSchema or kBenchmarkFormat
  std::string host_class;  // see host_class()
  nlohmann::json scenario = nlohmann::json::object();  // what was measured, for mismatch warnings
  std::vector<Metric> metrics;                          // in display order
  std::vector<std::string> default_metrics;             // patterns gated when --metrics is absent

  [[nodiscard]] const Metric* find(std::string_view name) const;
};

// "<kernel release>-<cpus>cpu-<transport>", restricted to [A-Za-z0-9._-] so that it can
// name a baseline file. Reads host.{kernel,cpus,transport} of results.json (transport falls
// back to scenario.transport), or context.{kernel,num_cpus,transport} of Google Benchmark
// JSON (transport defaults to "microbench"). Missing parts read "unknown".
std::string host_class(const nlohmann::json& results);

// Reads a results.json (schema ringside.results/v1: traced runs only) or a Google
// Benchmark JSON file (iteration rows only). Throws UsageError with a one-line reason
// when the file is unreadable, of an unknown schema, or has no usable repetitions.
GateInput load_gate_input(const std::string& path);

// A JSON document nested at most kMaxJsonDepth levels; throws UsageError("F: not valid json", or
// "F: nested deeper than 64 levels").
inline constexpr int kMaxJsonDepth = 64;
nlohmann::json parse_json_file(std::istream& in, const std::string& path);
GateInput parse_gate_input(const nlohmann::json& doc, const std::string& path);

// Shell-style match where '*' stands for any run of characters (including '.' and '/').
bool metric_matches(std::string_view pattern, std::string_view name);

}  // namespace ringside::gate
