// `ringside gate` end to end in-process: fixture results files in a temp dir, the
// subcommand parsed through CLI11, exit codes, JUnit/Markdown output and baselines.
#include <gtest/gtest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "cli.h"
#include "results_reader.h"

namespace ringside {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Fixture {
  int reps = 9;
  double e2e_scale = 1.0;      // multiplies end_to_end percentiles of every traced run
  std::uint64_t seed = 1;      // repetition noise
  std::string kernel = "6.1.0-test";
  std::string schema = "ringside.results/v1";
  int dropping_run = -1;       // traced run index that drops 5 events to queue_full
};

json results(const Fixture& f) {
  std::mt19937_64 rng(f.seed);
  std::normal_distribution<double> noise(1.0, 0.02);
  json runs = json::array();
  for (int i = 0; i < f.reps; ++i) {
    json base = {{"index", 2 * i}, {"phase", "baseline"}, {"workload", {{"ops_per_sec", 20000.0 * noise(rng)}}}};
    runs.push_back(base);
    const double e2e = 8000.0 * f.e2e_scale * noise(rng);
    json latency = json::object();
    for (const char* stage : {"syscall_to_hook", "handle", "end_to_end"}) {
      const double scale = std::string_view(stage) == "end_to_end" ? e2e : 1500.0 * noise(rng);
      latency[stage] = {{"count", 40000}, {"p50", scale}, {"p90", scale * 1.5}, {"p99", scale * 3 * noise(rng)},
                        {"p999", scale * 6}, {"max", scale * 40}};
    }
    const int dropped = i == f.dropping_run ? 5 : 0;
    runs.push_back({{"index", 2 * i + 1},
                    {"phase", "traced"},
                    {"workload", {{"ops_per_sec", 20000.0 * noise(rng)}}},
                    {"events",
                     {{"expected", 40000},
                      {"received", 40000 - dropped},
                      {"dropped", {{"kernel_reserve", 0}, {"perf_lost", 0}, {"sampled_out", 0},
                                   {"queue_full", dropped}, {"pool_exhausted", 0}}}}},
                    {"latency_ns", latency},
                    {"cpu", {{"ns_per_event", 900 * noise(rng)}, {"kernel_ns_per_event", 400.0},
                             {"user_ns_per_event", 500.0}, {"pct_of_machine", 0.4 * noise(rng)}}},
                    {"slowdown_pct", 1.0 + noise(rng)}});
  }
  return {{"schema", f.schema},
          {"host", {{"kernel", f.kernel}, {"cpus", 4}, {"btf", true}, {"transport", "ringbuf"}}},
          {"scenario", {{"workload", "write"}, {"rate", 20000}, {"threads", 1}}},
          {"runs", runs}};
}

json benchmark(double time_scale, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(1.0, 0.02);
  json rows = json::array();
  for (const char* name : {"BM_spsc/1024", "BM_pool_acquire"}) {
    for (int rep = 0; rep < 9; ++rep) {
      const double t = 120.0 * time_scale * noise(rng);
      rows.push_back({{"name", name}, {"run_name", name}, {"run_type", "iteration"}, {"repetition_index", rep},
                      {"real_time", t}, {"cpu_time", t}, {"time_unit", "ns"}, {"items_per_second", 1e9 / t}});
    }
    // Aggregates must be ignored: absurd values would move the medians if they were read.
    for (const char* agg : {"mean", "median", "stddev"})
      rows.push_back({{"name", std::string(name) + "_" + agg}, {"run_name", name}, {"run_type", "aggregate"},
                      {"aggregate_name", agg}, {"real_time", 1e9}, {"time_unit", "ns"}});
  }
  return {{"context", {{"num_cpus", 4}, {"kernel", "6.1.0-test"}, {"library_build_type", "release"}}},
          {"benchmarks", rows}};
}

class GateCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("ringside-gate-{}-{}", ::getpid(), ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const json& doc) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << doc.dump(2);
    return path;
  }
  std::string read(const std::string& name) const {
    std::ifstream in(dir_ / name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Parses `ringside gate ARGS...` with CLI11 and runs it as main would (UsageError -> 2).
  int gate(std::vector<std::string> args) {
    CLI::App root("ringside");
    const Subcommand sub = register_gate(root);
    args.insert(args.begin(), {"ringside", "gate"});
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    testing::internal::CaptureStdout();
    int code = -1;
    try {
      root.parse(static_cast<int>(argv.size()), argv.data());
      code = sub.app->parsed() ? sub.run() : -1;
    } catch (const CLI::ParseError& e) {
      error_ = e.what();
      code = kExitUsage;
    } catch (const UsageError& e) {
      error_ = e.what();
      code = kExitUsage;
    }
    out_ = testing::internal::GetCapturedStdout();
    return code;
  }

  fs::path dir_;
  std::string out_;
  std::string error_;
};

TEST_F(GateCommand, IdenticalResultsPass) {
  const std::string a = write("a.json", results({}));
  const std::string b = write("b.json", results({}));
  EXPECT_EQ(gate({"--baseline", a, "--current", b, "--junit", path("j.xml")}), kExitOk) << out_ << error_;
  EXPECT_NE(out_.find("gate: pass"), std::string::npos) << out_;
  EXPECT_NE(out_.find("latency.end_to_end.p50"), std::string::npos);
  EXPECT_EQ(read("j.xml").find("<failure"), std::string::npos);
}

TEST_F(GateCommand, FreshRepetitionsOfTheSameSystemPass) {
  const std::string a = write("a.json", results({.seed = 11}));
  const std::string b = write("b.json", results({.seed = 12}));
  EXPECT_EQ(gate({"--baseline", a, "--current", b, "--metrics", "latency.*,cpu.*,workload.*"}), kExitOk) << out_;
}

TEST_F(GateCommand, EndToEndShiftOfThirtyPercentIsARegression) {
  const std::string a = write("a.json", results({.seed = 3}));
  const std::string b = write("b.json", results({.e2e_scale = 1.3, .seed = 4}));
  EXPECT_EQ(gate({"--baseline", a, "--current", b, "--junit", path("j.xml"), "--markdown", path("s.md")}),
            kExitFailed)
      << out_;
  const std::string junit = read("j.xml");
  const auto p50 = junit.find("name=\"latency.end_to_end.p50\"");
  ASSERT_NE(p50, std::string::npos) << junit;
  EXPECT_EQ(junit.find("<failure", p50), junit.find("<failure")) << "the first failure is the p50's";
  EXPECT_NE(junit.find("failures=\"2\""), std::string::npos) << "p50 and p99 both moved: " << junit;
  EXPECT_NE(read("s.md").find("## ringside gate: regression"), std::string::npos);
  // Reversed, the same shift is an improvement and passes.
  EXPECT_EQ(gate({"--baseline", b, "--current", a}), kExitOk) << out_;
  EXPECT_NE(out_.find("improvement"), std::string::npos);
}

TEST_F(GateCommand, TooFewRepetitionsAreInconclusive) {
  const std::string a = write("a.json", results({.reps = 3, .seed = 3}));
  const std::string b = write("b.json", results({.reps = 3, .e2e_scale = 1.3, .seed = 4}));
  EXPECT_EQ(gate({"--baseline", a, "--current", b, "--junit", path("j.xml")}), kExitOk) << out_ << error_;
  EXPECT_NE(out_.find("gate: inconclusive"), std::string::npos) << out_;
  EXPECT_NE(read("j.xml").find("<skipped"), std::string::npos);
  EXPECT_EQ(read("j.xml").find("<failure"), std::string::npos);
  EXPECT_EQ(gate({"--baseline", a, "--current", b, "--strict"}), kExitFailed);
}

TEST_F(GateCommand, UnusableInputExitsTwo) {
  const std::string a = write("a.json", results({}));
  EXPECT_EQ(gate({"--baseline", a, "--current", write("v2.json", results({.schema = "ringside.results/v2"}))}),
            kExitUsage);
  EXPECT_NE(error_.find("unsupported schema"), std::string::npos) << error_;
  EXPECT_EQ(gate({"--baseline", a, "--current", write("gb.json", benchmark(1.0, 1))}), kExitUsage);
  EXPECT_NE(error_.find("schema mismatch"), std::string::npos) << error_;
  json no_runs = results({});
  no_runs["runs"] = json::array();
  EXPECT_EQ(gate({"--baseline", a, "--current", write("empty.json", no_runs)}), kExitUsage);
  EXPECT_EQ(gate({"--baseline", a, "--current", path("missing.json")}), kExitUsage);
  EXPECT_EQ(gate({"--baseline", a, "--current", a, "--metrics", "latency.nope.p50"}), kExitUsage);
}

TEST_F(GateCommand, HostMismatchNeedsTheFlag) {
  const std::string a = write("a.json", results({}));
  const std::string b = write("b.json", results({.kernel = "6.8.0-other"}));
  EXPECT_EQ(gate({"--baseline", a, "--current", b}), kExitUsage);
  EXPECT_NE(error_.find("host class mismatch"), std::string::npos) << error_;
  EXPECT_EQ(gate({"--baseline", a, "--current", b, "--allow-host-mismatch"}), kExitOk) << out_;
}

TEST_F(GateCommand, DropsAppearingWhereThereWereNoneFail) {
  const std::string a = write("a.json", results({}));
  const std::string b = write("b.json", results({.dropping_run = 4}));
  EXPECT_EQ(gate({"--baseline", a, "--current", b, "--junit", path("j.xml")}), kExitFailed) << out_;
  EXPECT_NE(out_.find("drops appeared"), std::string::npos) << out_;
  EXPECT_NE(read("j.xml").find("name=\"drops.total\""), std::string::npos);
}

TEST_F(GateCommand, GoogleBenchmarkPairs) {
  const std::string a = write("a.json", benchmark(1.0, 1));
  EXPECT_EQ(gate({"--baseline", a, "--current", write("b.json", benchmark(1.0, 2))}), kExitOk) << out_;
  EXPECT_NE(out_.find("BM_spsc/1024.real_time"), std::string::npos) << out_;
  EXPECT_NE(out_.find("BM_pool_acquire.items_per_second"), std::string::npos) << out_;
  EXPECT_EQ(out_.find("1000000000"), std::string::npos) << "aggregate rows leaked in: " << out_;
  EXPECT_EQ(gate({"--baseline", a, "--current", write("slow.json", benchmark(1.4, 3)), "--junit", path("j.xml")}),
            kExitFailed)
      << out_;
  EXPECT_NE(read("j.xml").find("failures=\"4\""), std::string::npos) << "time up, items/s down, both benches";
}

TEST_F(GateCommand, BaselinesAreStoredByHostClass) {
  const json doc = results({});
  EXPECT_EQ(gate::host_class(doc), "6.1.0-test-4cpu-ringbuf");
  const std::string cur = write("cur.json", doc);
  EXPECT_EQ(gate({"--current", cur, "--print-host-class"}), kExitOk);
  EXPECT_EQ(out_, "6.1.0-test-4cpu-ringbuf\n");
  EXPECT_EQ(gate({"--current", cur, "--update-baseline", path("baselines")}), kExitOk) << error_;
  EXPECT_TRUE(fs::exists(dir_ / "baselines" / "6.1.0-test-4cpu-ringbuf.json"));
  // A failing gate leaves the stored baseline alone.
  const std::string worse = write("worse.json", results({.e2e_scale = 1.5, .seed = 9}));
  EXPECT_EQ(gate({"--baseline", cur, "--current", worse, "--update-baseline", path("baselines")}), kExitFailed);
  EXPECT_EQ(read("baselines/6.1.0-test-4cpu-ringbuf.json"), read("cur.json"));
  EXPECT_EQ(gate::host_class(json{{"host", {{"kernel", "6.1/x y"}, {"cpus", 2}}}, {"scenario", {{"transport", "perfbuf"}}}}),
            "6.1_x_y-2cpu-perfbuf");
}

}  // namespace
}  // namespace ringside
