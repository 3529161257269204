// The gate's readers as `ringside gate` runs them: a file, as results.json or Google Benchmark
// JSON (load_gate_input = parse_json_file + parse_gate_input), then the verdicts and the three
// renderings over what was read (the file gated against itself). Bad input must be a one-line
// UsageError; the host class names a baseline file, so it must stay a safe file name; metric
// names come from the file and must not change the shape of the table, Markdown or JUnit; a file
// never regresses against itself. It is also gated against a shifted copy of itself, for the
// statistics over values that differ.
#include <algorithm>
#include <cstdint>
#include <string>

#include "fuzz_support.h"
#include "gate_report.h"
#include "gate_verdict.h"
#include "results_reader.h"
#include "usage_error.h"

namespace ringside {
namespace {

std::size_t lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

// Renderings are text for terminals, Markdown and XML: no control bytes but line ends.
void expect_printable(const std::string& out, const char* what) {
  for (unsigned char c : out)
    if (c < 0x20 && c != '\n') fuzz::finding("{} carries control byte 0x{:02x}", what, c);
}

// Gates `current` against `baseline` and renders the verdicts; false when there was nothing to
// compare (a one-line UsageError, as cmd_gate reports it).
bool gate_and_render(const gate::GateInput& baseline, const gate::GateInput& current, gate::GateReport& report) {
  report = {.baseline_path = baseline.path, .current_path = current.path, .host_class = current.host_class,
            .options = {}, .result = {}};
  try {
    report.result = gate::evaluate(baseline, current, {}, report.options);
  } catch (const UsageError& e) {
    fuzz::expect_one_line(e.what(), "evaluate");
    return false;
  }
  return true;
}

// The same metrics, moved: every verdict and statistic must cope with what the file held.
gate::GateInput shifted(gate::GateInput in) {
  for (gate::Metric& m : in.metrics) {
    for (double& v : m.values) v = v * 1.5 + 1;
    if (m.values.size() > 1) m.values.pop_back();
  }
  return in;
}

void gate_against_itself(const gate::GateInput& in) {
  gate::GateReport moved;
  if (gate_and_render(in, shifted(in), moved)) {
    expect_printable(gate::render_table(moved), "table");
    expect_printable(gate::render_junit(moved), "junit");
  }
  gate::GateReport report;
  if (!gate_and_render(in, in, report)) return;
  for (const gate::MetricVerdict& v : report.result.metrics)
    if (v.verdict == gate::Verdict::regression)
      fuzz::finding("{} regressed against itself: {}", v.baseline.name, v.reason);
  const std::string table = gate::render_table(report), markdown = gate::render_markdown(report),
                    junit = gate::render_junit(report);
  expect_printable(table, "table");
  expect_printable(markdown, "markdown");
  expect_printable(junit, "junit");
  // The same report with plain names must render to as many lines: a name cannot add rows.
  gate::GateReport plain = report;
  for (std::size_t i = 0; i < plain.result.metrics.size(); ++i)
    plain.result.metrics[i].baseline.name = plain.result.metrics[i].current.name = fmt::format("m{}", i);
  if (lines(gate::render_table(plain)) != lines(table)) fuzz::finding("a metric name changed the table's shape");
  if (lines(gate::render_markdown(plain)) != lines(markdown)) fuzz::finding("a metric name changed the Markdown");
  if (lines(gate::render_junit(plain)) != lines(junit)) fuzz::finding("a metric name changed the JUnit XML");
}

}  // namespace
}  // namespace ringside

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ringside;
  static fuzz::InputFile file;
  const std::string& path = file.write(data, size);
  gate::GateInput in;
  try {
    in = gate::load_gate_input(path);
  } catch (const UsageError& e) {
    fuzz::expect_one_line(e.what(), "load_gate_input");
    return 0;
  }
  if (in.format != kResultsSchema && in.format != gate::kBenchmarkFormat) fuzz::finding("format {}", in.format);
  if (in.host_class.empty()) fuzz::finding("empty host class");
  for (char c : in.host_class)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      fuzz::finding("host class '{}' is not a safe file name", in.host_class);
  if (in.metrics.empty()) fuzz::finding("read with no metrics");
  for (const gate::Metric& m : in.metrics)
    if (m.values.empty()) fuzz::finding("metric {} has no values", m.name);
  gate_against_itself(in);
  return 0;
}
