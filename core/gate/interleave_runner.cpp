#include "interleave_runner.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "child_process.h"
#include "usage_error.h"

namespace ringside::gate {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kRunTimeout{300};

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string last_line(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty() && line.find("round ") == std::string::npos) last = line;
  return last;
}

// The argv of one run of `side` writing into `dir`.
std::vector<std::string> run_argv(const InterleaveSetup& s, const Side& side, const std::string& dir) {
  std::vector<std::string> argv = {side.binary};
  const std::string duration = fmt::format("{}", s.run_duration_s);
  if (side.agent.empty()) {
    argv.insert(argv.end(), {"run", "--phases", "traced", "--repeat", "1", "--duration", duration, "--no-report"});
    if (s.run_warmup_s >= 0) argv.insert(argv.end(), {"--warmup-s", fmt::format("{}", s.run_warmup_s)});
  } else {
    argv.insert(argv.end(), {"measure", "--agent", side.agent, "--repeat", "1", "--duration", duration});
  }
  argv.insert(argv.end(), {"--out", dir});
  argv.insert(argv.end(), s.shared.begin(), s.shared.end());
  argv.insert(argv.end(), side.args.begin(), side.args.end());
  return argv;
}

// Runs one side once; returns its metrics. `stop` kills it and returns nullopt.
std::optional<std::map<std::string, double>> run_once(const InterleaveSetup& s, const Side& side,
                                                      const std::string& dir, const std::function<bool()>& stop,
                                                      std::map<std::string, PairedMetric>& shapes) {
  fs::create_directories(dir);
  const std::string log = dir + "/run.log";
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw UsageError(fmt::format("cannot write {}", log));
  ChildSpec spec;
  spec.argv = run_argv(s, side, dir);
  spec.stdout_fd = fd;
  spec.stderr_fd = fd;
  spec.group = ChildSpec::Group::own_group;
  pid_t pid;
  try {
    pid = spawn_child(spec);
  } catch (const std::runtime_error& e) {
    ::close(fd);
    throw UsageError(fmt::format("side {}: {}", side.label, e.what()));
  }
  ::close(fd);
  const auto t0 = Clock::now();
  int status = 0;
  for (;;) {
    const pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if ((stop && stop()) || Clock::now() - t0 > kRunTimeout) {
      const bool timed_out = !(stop && stop());
      kill(-pid, SIGKILL);
      reap_child(pid);
      if (timed_out)
        throw std::runtime_error(fmt::format("side {}: a run took over {} s (see {})", side.label, kRunTimeout.count(), log));
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const std::string results = dir + "/results.json";
  const bool ran = WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 1);
  if (!ran || !fs::exists(results))
    throw UsageError(fmt::format("side {}: `{}` failed ({}): {}", side.label, fmt::join(spec.argv, " "),
                                 describe_wait_status(status), last_line(log)));
  std::map<std::string, double> values;
  for (const Metric& m : run_metrics(results)) {
    if (m.values.empty()) continue;
    values[m.name] = m.values.front();
    if (!shapes.count(m.name)) shapes[m.name] = PairedMetric{m.name, m.unit, m.better, m.scale, {}, {}};
  }
  return values;
}

const json* number_at(const json& j, std::initializer_list<const char*> path) {
  const json* at = &j;
  for (const char* k : path) {
    if (!at->is_object() || !at->contains(k)) return nullptr;
    at = &at->at(k);
  }
  return at->is_number() ? at : nullptr;
}

std::vector<PairedMetric> paired(const InterleaveOutcome& out, std::size_t upto) {
  std::vector<PairedMetric> metrics;
  for (const auto& [name, shape] : out.shapes) {
    PairedMetric m = shape;
    for (std::size_t i = 1; i <= upto && i < out.pairs.size(); ++i) {
      const auto a = out.pairs[i].a.find(name), b = out.pairs[i].b.find(name);
      if (a == out.pairs[i].a.end() || b == out.pairs[i].b.end()) continue;
      m.a.push_back(a->second);
      m.b.push_back(b->second);
    }
    metrics.push_back(std::move(m));
  }
  return metrics;
}

std::string change_text(const PairedDecision& d) {
  if (d.n == 0) return "-";
  return fmt::format("{:+.1f}{}", d.change, d.unit == "pp" ? " pp" : " %");
}

const PairedDecision* find(const LookResult& r, const std::string& name) {
  for (const auto& d : r.metrics)
    if (d.name == name) return &d;
  return nullptr;
}

std::string outcome_word(const InterleaveOutcome& out) {
  if (out.interrupted) return "interrupted";
  if (out.result.overall == PairVerdict::regression) return "regression";
  if (out.at_cap_undecided) return "undecided at the cap (passed)";
  return "pass";
}

std::string escape_xml(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string side_text(const Side& s) {
  std::string t = s.binary;
  if (!s.agent.empty()) t += " measure --agent '" + s.agent + "'";
  for (const auto& a : s.args) t += " " + a;
  return t;
}

}  // namespace

std::vector<Metric> run_metrics(const std::string& results_path) {
  std::ifstream in(results_path);
  if (!in) throw UsageError(fmt::format("cannot read {}", results_path));
  const json doc = parse_json_file(in, results_path);
  if (doc.value("command", std::string()) != "measure") return parse_gate_input(doc, results_path).metrics;
  // measure: the agent's cost and its slowdown of the workload, from the summary
  std::vector<Metric> out;
  const json& s = doc.value("summary", json::object());
  const auto add = [&](const char* name, const char* unit, Better better, Scale scale,
                       std::initializer_list<const char*> path) {
    if (const json* v = number_at(s, path)) {
      Metric m;
      m.name = name;
      m.unit = unit;
      m.better = better;
      m.scale = scale;
      m.values = {v->get<double>()};
      out.push_back(std::move(m));
    }
  };
  add("measure.pct_of_machine", "%", Better::lower, Scale::ratio, {"cpu", "pct_of_machine"});
  add("measure.per_cpu_slowdown_pct", "pp", Better::lower, Scale::difference, {"overhead", "per_cpu_slowdown_pct"});
  add("measure.slowdown_pct", "pp", Better::lower, Scale::difference, {"overhead", "slowdown_pct"});
  add("measure.bpf_ns_per_workload_op", "ns", Better::lower, Scale::ratio, {"cpu", "bpf_ns_per_workload_op"});
  add("workload.ops_per_sec", "ops/s", Better::higher, Scale::ratio, {"workload", "ops_per_sec"});
  return out;
}

double effective_run_warmup_s(const InterleaveSetup& s) {
  return s.run_warmup_s >= 0 ? s.run_warmup_s : std::min(1.0, s.run_duration_s);
}

bool run_accepts(const std::string& binary, const std::string& flag) {
  const int fd = ::memfd_create("ringside-help", MFD_CLOEXEC);
  if (fd < 0) return false;
  ChildSpec spec;
  spec.argv = {binary, "run", "--help"};
  spec.stdout_fd = fd;
  bool listed = false;
  try {
    const int status = reap_child(spawn_child(spec));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      std::string text;
      char buf[4096];
      ssize_t n;
      off_t at = 0;
      while ((n = ::pread(fd, buf, sizeof buf, at)) > 0) {
        text.append(buf, static_cast<std::size_t>(n));
        at += n;
      }
      listed = text.find(flag + " ") != std::string::npos || text.find(flag + "\n") != std::string::npos;
    }
  } catch (const std::runtime_error&) {
    listed = false;
  }
  ::close(fd);
  return listed;
}

InterleaveOutcome run_interleaved(const InterleaveSetup& s, const std::function<void(const std::string&)>& progress,
                                  const std::function<bool()>& stop) {
  InterleaveOutcome out;
  const auto t0 = Clock::now();
  const std::vector<bool> orders = pair_orders(s.stats.max_pairs + 1, s.stats.seed);
  const std::vector<std::size_t> looks = look_points(s.stats);
  for (std::size_t i = 0; i <= s.stats.max_pairs; ++i) {
    PairRecord pair;
    pair.index = i;
    pair.a_first = orders[i];
    const auto tp = Clock::now();
    bool cut = false;
    for (int k = 0; k < 2 && !cut; ++k) {
      const bool run_a = (k == 0) == pair.a_first;
      const Side& side = run_a ? s.a : s.b;
      const std::string dir = fmt::format("{}/runs/{:03}-{}", s.out_dir, i, side.label);
      auto values = run_once(s, side, dir, stop, out.shapes);
      if (!values) {
        cut = true;
        break;
      }
      (run_a ? pair.a : pair.b) = std::move(*values);
    }
    if (cut) {
      out.interrupted = true;
      break;
    }
    pair.seconds = seconds_since(tp);
    out.pairs.push_back(std::move(pair));
    if (i == 0) {
      for (const std::string& p : s.stats.primary)
        if (!out.pairs[0].a.count(p) || !out.pairs[0].b.count(p))
          throw UsageError(fmt::format("primary metric {} is not in both sides' results (see {}/runs/000-*)", p, s.out_dir));
      progress(fmt::format("warm-up pair done in {:.1f} s (discarded); at most {} pairs ≈ {:.0f} s more", out.pairs[0].seconds,
                           s.stats.max_pairs, out.pairs[0].seconds * static_cast<double>(s.stats.max_pairs)));
      continue;
    }
    const std::vector<PairedMetric> metrics = paired(out, i);
    const LookResult now = decide(metrics, s.stats);
    std::string line = fmt::format("pair {}/{} ({}) {:.1f} s:", i, s.stats.max_pairs,
                                   out.pairs.back().a_first ? "AB" : "BA", out.pairs.back().seconds);
    for (const std::string& p : s.stats.primary)
      if (const PairedDecision* d = find(now, p)) line += fmt::format(" {} {}", p, change_text(*d));
    if (std::find(looks.begin(), looks.end(), i) != looks.end()) {
      out.looks.push_back(now);
      line += fmt::format(" → look {}/{}: {}", out.looks.size(), looks.size(), to_string(now.overall));
      progress(line);
      out.result = now;
      if (now.overall != PairVerdict::undecided) break;
      if (i == s.stats.max_pairs) out.at_cap_undecided = true;
    } else {
      progress(line);
    }
  }
  if (out.looks.empty() && out.pairs.size() > 1) out.result = decide(paired(out, out.pairs.size() - 1), s.stats);
  out.wall_s = seconds_since(t0);
  return out;
}

// Shown beside the primary metrics on the console and in Markdown (gate.json has every metric).
static bool shown(const PairedDecision& d) {
  static const std::set<std::string> kShown = {
      "latency.end_to_end.p99", "latency.handle.p50",    "cpu.kernel_ns_per_event", "cpu.user_ns_per_event",
      "cpu.pct_of_machine",     "drops.total",           "workload.ops_per_sec",    "measure.slowdown_pct",
      "measure.bpf_ns_per_workload_op"};
  return d.primary || kShown.count(d.name) > 0;
}

std::string interleave_table(const InterleaveSetup& s, const InterleaveOutcome& out) {
  std::string t;
  fmt::format_to(std::back_inserter(t), "interleaved gate: {} pairs (+1 warm-up) in {:.0f} s; alpha {} over {} looks (p_holm "
                 "below {:.2g} at a look) and {} primary metrics; threshold {} %\n",
                 out.result.pairs, out.wall_s, s.stats.alpha, planned_looks(s.stats), alpha_per_look(s.stats),
                 s.stats.primary.size(), s.stats.threshold_pct);
  fmt::format_to(std::back_inserter(t), "{:<36} {:>5} {:>10} {:>22} {:>10} {:>10}  {}\n", "metric (B vs A)", "pairs",
                 "change", "95 % CI", "p", "p_holm", "verdict");
  for (const PairedDecision& d : out.result.metrics) {
    if (!shown(d)) continue;
    const std::string ci = d.n ? fmt::format("[{:+.1f}, {:+.1f}]", d.ci[0], d.ci[1]) : "-";
    fmt::format_to(std::back_inserter(t), "{:<36} {:>5} {:>10} {:>22} {:>10.3g} {:>10}  {}\n", d.name, d.n,
                   change_text(d), ci, d.p_value, d.primary ? fmt::format("{:.3g}", d.p_adjusted) : "-",
                   to_string(d.verdict));
  }
  for (const PairedDecision& d : out.result.metrics)
    if (d.primary && d.verdict != PairVerdict::pass) fmt::format_to(std::back_inserter(t), "  {}: {}\n", d.name, d.reason);
  fmt::format_to(std::back_inserter(t), "({} more metrics in {}/gate.json)\ngate: {}\n",
                 std::count_if(out.result.metrics.begin(), out.result.metrics.end(), [](const auto& d) { return !shown(d); }),
                 s.out_dir, outcome_word(out));
  return t;
}

std::string interleave_markdown(const InterleaveSetup& s, const InterleaveOutcome& out) {
  std::string t;
  fmt::format_to(std::back_inserter(t), "## ringside interleaved gate: {}\n\n", outcome_word(out));
  fmt::format_to(std::back_inserter(t), "A: `{}`  \nB: `{}`  \nshared: `{}`\n\n", side_text(s.a), side_text(s.b),
                 fmt::join(s.shared, " "));
  t += "| metric (B vs A) | pairs | change | 95 % CI | p | p_holm | verdict |\n|---|---:|---:|---:|---:|---:|---|\n";
  for (const PairedDecision& d : out.result.metrics)
    if (shown(d))
      fmt::format_to(std::back_inserter(t), "| {}{}{} | {} | {} | [{:+.1f}, {:+.1f}] | {:.3g} | {} | {} |\n",
                   d.primary ? "**" : "", d.name, d.primary ? "**" : "", d.n, change_text(d), d.ci[0], d.ci[1],
                   d.p_value, d.primary ? fmt::format("{:.3g}", d.p_adjusted) : "-", to_string(d.verdict));
  fmt::format_to(std::back_inserter(t),
                 "\n{} pairs in randomized order (+1 warm-up, discarded), {:.0f} s. Per pair the ratio B/A "
                 "(difference for metrics in points); Wilcoxon signed-rank, one-sided toward worse; Holm over "
                 "the primary metrics (bold) at alpha {} over {} planned looks (Pocock's level: p_holm below {:.2g} "
                 "at a look); a regression also needs a change beyond {} %.\n",
                 out.result.pairs, out.wall_s, s.stats.alpha, planned_looks(s.stats), alpha_per_look(s.stats),
                 s.stats.threshold_pct);
  return t;
}

std::string interleave_junit(const InterleaveOutcome& out) {
  std::size_t failures = 0, skipped = 0;
  for (const auto& d : out.result.metrics) {
    failures += d.verdict == PairVerdict::regression;
    skipped += d.verdict == PairVerdict::undecided;
  }
  std::string t = fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"ringside-gate-interleave\" "
                              "tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{:.1f}\">\n",
                              out.result.metrics.size(), failures, skipped, out.wall_s);
  for (const auto& d : out.result.metrics) {
    t += fmt::format("  <testcase classname=\"gate.interleave\" name=\"{}\">", escape_xml(d.name));
    const std::string msg = escape_xml(fmt::format("{} over {} pairs, p {:.3g}; {}", change_text(d), d.n, d.p_value, d.reason));
    if (d.verdict == PairVerdict::regression) t += fmt::format("<failure message=\"{}\"/>", msg);
    else if (d.verdict == PairVerdict::undecided) t += fmt::format("<skipped message=\"{}\"/>", msg);
    t += "</testcase>\n";
  }
  return t + "</testsuite>\n";
}

std::string interleave_json(const InterleaveSetup& s, const InterleaveOutcome& out) {
  const auto side = [](const Side& x) {
    return json{{"binary", x.binary}, {"args", x.args}, {"agent", x.agent.empty() ? json(nullptr) : json(x.agent)}};
  };
  const auto decisions = [](const LookResult& r) {
    json m = json::array();
    for (const auto& d : r.metrics)
      m.push_back({{"name", d.name},
                   {"unit", d.unit},
                   {"primary", d.primary},
                   {"pairs", d.n},
                   {"change", d.change},
                   {"ci95", {d.ci[0], d.ci[1]}},
                   {"p_value", d.p_value},
                   {"p_adjusted", d.primary ? json(d.p_adjusted) : json(nullptr)},
                   {"verdict", to_string(d.verdict)},
                   {"reason", d.reason}});
    return json{{"pairs", r.pairs}, {"overall", to_string(r.overall)}, {"alpha_per_look", r.alpha_per_look}, {"metrics", m}};
  };
  json pairs = json::array();
  for (const auto& p : out.pairs)
    pairs.push_back({{"index", p.index}, {"warmup", p.index == 0}, {"order", p.a_first ? "AB" : "BA"},
                     {"seconds", p.seconds}, {"a", p.a}, {"b", p.b}});
  json looks = json::array();
  for (const auto& l : out.looks) looks.push_back(decisions(l));
  json j = {{"schema", "ringside.gate-interleave/v1"},
            {"outcome", outcome_word(out)},
            {"a", side(s.a)},
            {"b", side(s.b)},
            {"shared", s.shared},
            {"run_duration_s", s.run_duration_s},
            {"run_warmup_s", effective_run_warmup_s(s)},
            {"options",
             {{"alpha", s.stats.alpha}, {"threshold_pct", s.stats.threshold_pct}, {"first_pairs", s.stats.first_pairs},
              {"step_pairs", s.stats.step_pairs}, {"max_pairs", s.stats.max_pairs}, {"primary", s.stats.primary},
              {"seed", s.stats.seed}, {"looks", look_points(s.stats)}, {"alpha_per_look", alpha_per_look(s.stats)},
              {"look_level", "pocock"}}},
            {"wall_s", out.wall_s},
            {"interrupted", out.interrupted},
            {"result", decisions(out.result)},
            {"looks", looks},
            {"pairs", pairs}};
  return j.dump(2) + "\n";
}

}  // namespace ringside::gate
