// `ringside gate`: CI regression gating of a current results file against a baseline.
// Exit codes: 0 pass (also inconclusive-only, with a loud warning, unless --strict),
// 1 a metric regressed (or inconclusive under --strict), 2 unusable input (UsageError).
// The statistics and the verdict rule are documented in gate_stats.h and gate_verdict.h.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "cli.h"
#include "results_reader.h"
#include "values.h"
#include "gate_report.h"
#include "gate_verdict.h"

namespace ringside {
namespace {

namespace fs = std::filesystem;

struct GateFlags {
  std::string baseline;
  std::string current;
  std::vector<std::string> metrics;
  gate::GateOptions stats;
  std::string junit;
  std::string markdown;
  bool allow_host_mismatch = false;
  bool strict = false;
  bool print_host_class = false;
  std::string baseline_dir;
  CLI::Option* update_baseline = nullptr;
};

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw UsageError(fmt::format("cannot write {}", path));
}

// Copies the current results to DIR/<host class>.json; returns the path written.
std::string store_baseline(const GateFlags& flags, const std::string& host_class) {
  const fs::path dir = flags.baseline_dir.empty() ? fs::path("ci/baselines") : fs::path(flags.baseline_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw UsageError(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  const fs::path target = dir / (host_class + ".json");
  fs::copy_file(flags.current, target, fs::copy_options::overwrite_existing, ec);
  if (ec) throw UsageError(fmt::format("cannot write {}: {}", target.string(), ec.message()));
  return target.string();
}

void check_comparable(const gate::GateInput& base, const gate::GateInput& cur, const GateFlags& flags) {
  if (base.format != cur.format)
    throw UsageError(fmt::format("schema mismatch: {} is {} but {} is {}", base.path, base.format, cur.path,
                                 cur.format));
  if (base.host_class != cur.host_class) {
    const std::string msg = fmt::format("host class mismatch: baseline {} vs current {}", base.host_class,
                                        cur.host_class);
    if (!flags.allow_host_mismatch)
      throw UsageError(msg + " (kernel, cpus and transport must match; --allow-host-mismatch to compare anyway)");
    std::fputs(fmt::format("ringside: warning: {}; compared anyway\n", msg).c_str(), stderr);
  }
  if (!base.scenario.empty() && !cur.scenario.empty() && base.scenario != cur.scenario)
    std::fputs(fmt::format("ringside: warning: scenario differs: baseline {} vs current {}\n",
                           base.scenario.dump(), cur.scenario.dump())
                   .c_str(),
               stderr);
}

int run_gate(const GateFlags& flags) {
  if (flags.current.empty()) throw UsageError("--current is required");
  const gate::GateInput current = gate::load_gate_input(flags.current);
  if (flags.print_host_class) {
    std::fputs((current.host_class + "\n").c_str(), stdout);
    return kExitOk;
  }
  const bool updating = flags.update_baseline->count() > 0;
  if (flags.baseline.empty()) {
    if (!updating) throw UsageError("--baseline is required (or --update-baseline to record one)");
    std::fputs(fmt::format("gate: baseline written to {}\n", store_baseline(flags, current.host_class)).c_str(),
               stdout);
    return kExitOk;
  }
  const gate::GateInput baseline = gate::load_gate_input(flags.baseline);
  check_comparable(baseline, current, flags);

  gate::GateReport report{.baseline_path = flags.baseline,
                          .current_path = flags.current,
                          .host_class = current.host_class,
                          .options = flags.stats,
                          .result = gate::evaluate(baseline, current, flags.metrics, flags.stats)};
  std::fputs(gate::render_table(report).c_str(), stdout);
  std::fflush(stdout);
  if (!flags.markdown.empty()) write_text(flags.markdown, gate::render_markdown(report));
  if (!flags.junit.empty()) write_text(flags.junit, gate::render_junit(report));

  const std::size_t regressions = report.result.count(gate::Verdict::regression);
  const std::size_t inconclusive = report.result.count(gate::Verdict::inconclusive);
  if (inconclusive > 0)
    std::fputs(fmt::format("ringside: warning: {} of {} metrics are INCONCLUSIVE and were not judged "
                           "(see reasons above); {}\n",
                           inconclusive, report.result.metrics.size(),
                           flags.strict ? "--strict makes this a failure" : "not failing without --strict")
                   .c_str(),
               stderr);
  const auto noisy = std::count_if(report.result.metrics.begin(), report.result.metrics.end(),
                                   [](const gate::MetricVerdict& v) { return v.noisy; });
  if (noisy > 0)
    std::fputs(fmt::format("ringside: warning: {} metrics moved beyond the limit without significance; "
                           "more repetitions (--repeat) would tell\n",
                           noisy)
                   .c_str(),
               stderr);
  const int code = regressions > 0 || (flags.strict && inconclusive > 0) ? kExitFailed : kExitOk;
  if (updating) {
    if (code == kExitOk)
      std::fputs(fmt::format("gate: baseline updated: {}\n", store_baseline(flags, current.host_class)).c_str(),
                 stdout);
    else
      std::fputs("gate: baseline not updated (the gate failed; rerun without --baseline to force)\n", stdout);
  }
  return code;
}

}  // namespace

Subcommand register_gate(CLI::App& root) {
  auto flags = std::make_shared<GateFlags>();
  CLI::App* app = root.add_subcommand("gate", "compare results against a baseline and fail on regressions");
  app->add_option("--baseline", flags->baseline, "baseline results.json or google benchmark json");
  app->add_option("--current", flags->current, "current results.json or google benchmark json");
  app->add_option("--metrics", flags->metrics,
                  "comma-separated metric names or globs (default: end_to_end p50/p99, cpu.ns_per_event, "
                  "ops_per_sec, slowdown_pct, drops.total; all benchmarks for google benchmark json)")
      ->delimiter(',');
  // through the value grammar: finite numbers only (CLI11's range checks let NaN through)
  app->add_option_function<std::string>(
         "--max-regression",
         [flags](const std::string& t) {
           flags->stats.max_regression_pct = parse_number(t, 0, 1e6).value_or_throw("--max-regression");
         },
         "smallest change that counts, in % (pp for slowdown_pct; default 5)");
  app->add_option_function<std::string>(
      "--alpha", [flags](const std::string& t) { flags->stats.alpha = parse_number(t, 1e-9, 0.5).value_or_throw("--alpha"); },
      "family-wise significance level, Holm over the metrics (default 0.05)");
  app->add_option_function<std::string>(
      "--min-reps",
      [flags](const std::string& t) {
        flags->stats.min_reps = static_cast<std::size_t>(parse_count(t, 2, 1000000).value_or_throw("--min-reps"));
      },
      "fewest repetitions per side to judge a metric (default 5)");
  app->add_option("--junit", flags->junit, "write JUnit XML here (one testcase per metric)");
  app->add_option("--markdown", flags->markdown, "write a Markdown summary here");
  app->add_flag("--allow-host-mismatch", flags->allow_host_mismatch,
                "compare results from different kernels, cpu counts or transports");
  app->add_flag("--strict", flags->strict, "fail (exit 1) when any metric is inconclusive");
  app->add_flag("--print-host-class", flags->print_host_class, "print the --current file's host class and exit");
  flags->update_baseline =
      app->add_option("--update-baseline", flags->baseline_dir,
                      "copy --current to DIR/<host class>.json (after a passing gate, or at once without --baseline)")
          ->expected(0, 1)
          ->default_str("ci/baselines");
  return {app, [flags] { return run_gate(*flags); }};
}

}  // namespace ringside
