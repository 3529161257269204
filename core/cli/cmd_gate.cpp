// `ringside gate`: CI regression gating of a current results file against a baseline.
// Exit codes: 0 pass (also inconclusive-only, with a loud warning, unless --strict),
// 1 a metric regressed (or inconclusive under --strict), 2 unusable input (UsageError).
// The statistics and the verdict rule are documented in gate_stats.h and gate_verdict.h.
#include <fmt/format.h>

#include <unistd.h>
#include <wordexp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "cli.h"
#include "results_reader.h"
#include "values.h"
#include "gate_report.h"
#include "gate_verdict.h"
#include "interleave_runner.h"
#include "output_dir.h"
#include "stop_signal.h"

namespace ringside {
namespace {

namespace fs = std::filesystem;

struct InterleaveFlags {
  bool on = false;
  std::string a, b, a_binary, b_binary, a_agent, b_agent;
  std::string out = "ringside-gate";
  std::string pairs = "12", step = "12", max_pairs = "48", run_duration = "0.4", seed;
};

struct GateFlags {
  InterleaveFlags il;
  bool alpha_given = false;
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

// A side's options as one string ("--inject-handler-delay-ns 5000"), split as a shell would
// (quotes, escapes), without running anything.
std::vector<std::string> split_words(const std::string& text, std::string_view flag) {
  std::vector<std::string> out;
  if (text.find_first_not_of(" \t") == std::string::npos) return out;
  wordexp_t w{};
  const int rc = wordexp(text.c_str(), &w, WRDE_NOCMD | WRDE_UNDEF);
  if (rc != 0) {
    if (rc == WRDE_NOSPACE) wordfree(&w);
    throw UsageError(fmt::format("{}: cannot split '{}' into words (unbalanced quotes, $(...) or an unset variable)",
                                 flag, text));
  }
  for (std::size_t i = 0; i < w.we_wordc; ++i) out.emplace_back(w.we_wordv[i]);
  wordfree(&w);
  return out;
}

// Seconds of each run's own warm-up phases under the interleaved gate.
constexpr double kGateRunWarmupS = 0.1;

std::string self_binary() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw UsageError("cannot find ringside's own executable (/proc/self/exe)");
  return exe.string();
}

std::string checked_binary(const std::string& path, std::string_view flag) {
  if (path.empty()) return self_binary();
  if (access(path.c_str(), X_OK) != 0) throw UsageError(fmt::format("{} {}: not an executable", flag, path));
  return fs::absolute(path).string();
}

int run_interleaved_gate(const GateFlags& flags, std::vector<std::string> shared) {
  const InterleaveFlags& f = flags.il;
  if (!flags.baseline.empty() || !flags.current.empty())
    throw UsageError("--interleave runs both sides itself: no --baseline/--current");
  if (!f.a_agent.empty() != !f.b_agent.empty()) throw UsageError("--a-agent and --b-agent go together");
  gate::InterleaveSetup setup;
  setup.a = {"A", checked_binary(f.a_binary, "--a-binary"), split_words(f.a, "--a"), f.a_agent};
  setup.b = {"B", checked_binary(f.b_binary, "--b-binary"), split_words(f.b, "--b"), f.b_agent};
  setup.shared = std::move(shared);
  setup.out_dir = f.out;
  setup.run_duration_s = parse_number(f.run_duration, 0, 3600, true).value_or_throw("--run-duration");
  // Each run's own warm-up round (run's default: as long as the measured phases) doubles its time;
  // a short one takes the process's cold start away. Both sides get it or neither does (a build
  // older than `run --warmup-s` keeps run's default on both).
  if (f.a_agent.empty() && gate::run_accepts(setup.a.binary, "--warmup-s") &&
      (setup.b.binary == setup.a.binary || gate::run_accepts(setup.b.binary, "--warmup-s")))
    setup.run_warmup_s = std::min(kGateRunWarmupS, setup.run_duration_s);
  gate::InterleaveOptions& o = setup.stats;
  o.alpha = flags.alpha_given ? flags.stats.alpha : 0.01;
  o.threshold_pct = flags.stats.max_regression_pct;
  o.first_pairs = parse_count(f.pairs, 2, 10000).value_or_throw("--pairs");
  o.step_pairs = parse_count(f.step, 1, 10000).value_or_throw("--step");
  o.max_pairs = parse_count(f.max_pairs, 2, 10000).value_or_throw("--max-pairs");
  if (o.max_pairs < o.first_pairs) throw UsageError("--max-pairs must be at least --pairs");
  if (!f.a_agent.empty()) o.primary = {"measure.pct_of_machine", "measure.per_cpu_slowdown_pct"};
  if (!flags.metrics.empty()) o.primary = flags.metrics;
  o.seed = f.seed.empty() ? static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count())
                          : parse_count(f.seed, 0, UINT64_MAX).value_or_throw("--seed");
  if (const auto why = gate::cannot_fire(o))
    throw UsageError(fmt::format("this gate could never fail: {}; raise --max-pairs or --alpha, or gate fewer --metrics", *why));
  if (const auto why = gate::cannot_fire_at_first_look(o))
    fmt::print(stderr, "ringside: warning: no regression can be significant before a later look: {}\n", *why);
  OutputDir out(setup.out_dir);
  install_stop_handlers();
  fmt::print(stderr, "gate: interleaving A and B, {} to {} pairs (seed {}), runs of {} s after a {} s warm-up; results in {}\n",
             o.first_pairs, o.max_pairs, o.seed, setup.run_duration_s,
             gate::effective_run_warmup_s(setup), setup.out_dir);
  const gate::InterleaveOutcome result = gate::run_interleaved(
      setup, [](const std::string& line) { fmt::print(stderr, "gate: {}\n", line); }, stop_requested);
  out.write_file("gate.json", gate::interleave_json(setup, result));
  std::fputs(gate::interleave_table(setup, result).c_str(), stdout);
  std::fflush(stdout);
  if (!flags.markdown.empty()) write_text(flags.markdown, gate::interleave_markdown(setup, result));
  if (!flags.junit.empty()) write_text(flags.junit, gate::interleave_junit(result));
  if (result.interrupted) return interrupted_exit_code();
  if (result.result.overall == gate::PairVerdict::regression) return kExitFailed;
  if (result.at_cap_undecided) {
    fmt::print(stderr, "ringside: warning: undecided after {} pairs (the cap); {}\n", o.max_pairs,
               flags.strict ? "--strict makes this a failure" : "not failing without --strict");
    return flags.strict ? kExitFailed : kExitOk;
  }
  return kExitOk;
}

int run_gate(const GateFlags& flags, const std::vector<std::string>& extras) {
  if (flags.il.on) return run_interleaved_gate(flags, extras);
  if (!extras.empty()) throw UsageError(fmt::format("unknown option {} (run options go with --interleave)", extras.front()));
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
  std::fputs("gate: two runs taken at different times on a shared machine differ by more than many regressions: "
             "measured on a 2-vCPU VM, 1 false alarm in 20 A/A comparisons and 4 of 5 +25 % regressions caught; "
             "`ringside gate --interleave` runs A and B in pairs and is the reliable one\n",
             stdout);
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
                  "ops_per_sec, slowdown_pct, drops.total; all benchmarks for google benchmark json; with "
                  "--interleave: the primary metrics, default latency.end_to_end.p50,cpu.ns_per_event,"
                  "workload.ops_per_sec)")
      ->delimiter(',');
  // through the value grammar: finite numbers only (CLI11's range checks let NaN through)
  app->add_option_function<std::string>(
         "--max-regression",
         [flags](const std::string& t) {
           flags->stats.max_regression_pct = parse_number(t, 0, 1e6).value_or_throw("--max-regression");
         },
         "smallest change that counts, in % (pp for slowdown_pct; default 5)");
  app->add_option_function<std::string>(
      "--alpha",
      [flags](const std::string& t) {
        flags->stats.alpha = parse_number(t, 1e-9, 0.5).value_or_throw("--alpha");
        flags->alpha_given = true;
      },
      "family-wise significance level, Holm over the metrics (default 0.05; 0.01 with --interleave, over its looks too)");
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
  InterleaveFlags& il = flags->il;
  app->add_flag("--interleave", il.on,
                "run A and B here, in pairs of random order, and judge the per-pair ratios (options not listed "
                "here go to both sides' runs: --workload, --rate, --wakeup, ...)");
  app->add_option("--a", il.a, "--interleave: side A's own run options, one string (e.g. \"\")")->allow_extra_args(false);
  app->add_option("--b", il.b, "--interleave: side B's own run options, e.g. \"--inject-handler-delay-ns 5000\"")
      ->allow_extra_args(false);
  app->add_option("--a-binary", il.a_binary, "--interleave: the ringside that runs side A (default this one)");
  app->add_option("--b-binary", il.b_binary, "--interleave: the ringside that runs side B (default this one)");
  app->add_option("--a-agent", il.a_agent, "--interleave: side A measures this agent (measure --agent)");
  app->add_option("--b-agent", il.b_agent, "--interleave: side B measures this agent");
  app->add_option("--pairs", il.pairs, "--interleave: pairs before the first look (default 12)");
  app->add_option("--step", il.step, "--interleave: pairs added per look while undecided (default 12)");
  app->add_option("--max-pairs", il.max_pairs, "--interleave: the cap (default 48)");
  app->add_option("--run-duration", il.run_duration, "--interleave: seconds of each run's measured phase (default 0.4)");
  app->add_option("--seed", il.seed, "--interleave: the pair-order seed (default: from the clock, printed)");
  app->add_option("--out", il.out, "--interleave: directory for gate.json and every run (default ringside-gate)");
  app->allow_extras();
  return {app, [flags, app] { return run_gate(*flags, app->remaining()); }};
}

}  // namespace ringside
