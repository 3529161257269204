// The program catalog end to end: every program conserves its events against its workload's
// ground truth on both transports, paced and at max rate; variable-length records carry exactly
// what the workload asked for; uprobe targets that cannot work are one-line errors; several
// programs run together on one ring or one each; an agent's whole config file runs as it is.
#include <fstream>
#include <sstream>

#include "test_support.h"
#include "workload_process.h"

using namespace ringside::test;
using nlohmann::json;

namespace {

struct ProgramCase {
  std::string program;
  std::string transport;
  std::string rate;  // "max" or a paced rate the machine sustains without drops
};

std::string case_name(const testing::TestParamInfo<ProgramCase>& i) {
  return i.param.program + "_" + i.param.transport + "_" + (i.param.rate == "max" ? "max" : "paced");
}

json run_program(const std::vector<std::string>& args, const std::string& tag, int want = 0) {
  const std::string out = temp_dir("prog-" + tag);
  std::vector<std::string> argv = {bin("ringside"), "run", "--no-report", "--out", out};
  argv.insert(argv.end(), args.begin(), args.end());
  int code = 0;
  Proc p = run(argv, &code);
  EXPECT_EQ(code, want) << p.err() << p.out();
  return code == want ? read_results(out) : json{};
}

uint64_t drops_of(const json& events) {
  uint64_t n = 0;
  for (const auto& [cause, v] : events["dropped"].items()) n += v.get<uint64_t>();
  return n;
}

// The events the workload's ground truth promises `program` (its calls by name).
uint64_t truth_for(const std::string& program, const json& by_syscall) {
  static const std::map<std::string, std::vector<std::string>> kinds = {
      {"syscall_tap", {"write"}},     {"file_ops", {"openat", "unlinkat"}},
      {"exec", {"execve"}},           {"tcp_connect", {"connect"}},
      {"function_timing", {"call"}},  {"memory_alloc", {"malloc", "calloc", "realloc", "free"}}};
  uint64_t n = 0;
  for (const auto& k : kinds.at(program)) n += by_syscall.value(k, uint64_t{0});
  return n;
}

class ProgramConservation : public testing::TestWithParam<ProgramCase> {};

TEST_P(ProgramConservation, ReceivedPlusNamedDropsEqualsGroundTruth) {
  RINGSIDE_REQUIRE_BPF();
  const ProgramCase& c = GetParam();
  json r = run_program({"--program", c.program, "--transport", c.transport, "--rate", c.rate, "--duration", "0.5",
                        "--repeat", "1", "--phases", "baseline,traced"},
                       case_name({c, 0}));
  ASSERT_TRUE(r.contains("runs"));
  for (const auto& run : r["runs"]) {
    if (run["phase"] != "traced") continue;
    const uint64_t truth = truth_for(c.program, run["workload"]["by_syscall"]);
    EXPECT_GT(truth, 0u) << run["workload"].dump();
    const auto& ev = run["events"];
    EXPECT_EQ(ev["expected"].get<uint64_t>(), truth) << ev.dump();
    EXPECT_EQ(ev["matched"].get<uint64_t>(), truth) << "the kernel saw every call: " << ev.dump();
    EXPECT_EQ(ev["received"].get<uint64_t>() + drops_of(ev), truth) << ev.dump();
    EXPECT_TRUE(ev["conserved"].get<bool>()) << ev.dump();
    if (c.rate != "max") {
      EXPECT_EQ(drops_of(ev), 0u) << "paced: nothing dropped " << ev.dump();
    }
    // for a single program, summary.events are the program's own
    const auto& p = run["programs"][c.program];
    EXPECT_EQ(p["events"]["received"], ev["received"]);
    EXPECT_EQ(p["events"]["expected"], ev["expected"]);
    EXPECT_TRUE(p["events"]["conserved"].get<bool>());
    EXPECT_GT(p["cpu"]["bpf_ns"].get<uint64_t>(), 0u) << p.dump();
    EXPECT_GT(p["record_bytes"]["mean"].get<double>(), 0.0);
  }
  EXPECT_TRUE(r["summary"]["events"]["conserved"].get<bool>());
  EXPECT_TRUE(r["summary"]["programs"].contains(c.program));
}

std::vector<ProgramCase> program_cases() {
  const std::vector<std::pair<std::string, std::string>> paced = {
      {"syscall_tap", "20000"}, {"file_ops", "5000"},        {"exec", "150"},
      {"tcp_connect", "2000"},  {"function_timing", "5000"}, {"memory_alloc", "2000"}};
  std::vector<ProgramCase> out;
  for (const auto& [program, rate] : paced)
    for (const char* transport : {"ringbuf", "perfbuf"})
      for (const std::string& r : {rate, std::string("max")}) out.push_back({program, transport, r});
  return out;
}

INSTANTIATE_TEST_SUITE_P(Catalog, ProgramConservation, testing::ValuesIn(program_cases()), case_name);

// Reads a --sink file's JSON lines.
std::vector<json> sink_lines(const std::string& path) {
  std::vector<json> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

class VariableLengthRecords : public testing::TestWithParam<std::string> {};

// The files workload cycles through names of 0, 1, 17, 64, 128, 200, 255, 256 and 300 bytes:
// empty, short, long, exactly the 256-byte cap, and over it.
TEST_P(VariableLengthRecords, PathsOfEveryLengthArriveWholeOrMarkedTruncated) {
  RINGSIDE_REQUIRE_BPF();
  const std::string out = temp_dir("varlen-" + GetParam());
  json r = run_program({"--program", "file_ops", "--transport", GetParam(), "--workload", "files", "--rate", "2000",
                        "--duration", "0.3", "--repeat", "1", "--phases", "baseline,traced", "--sink", out + "/sink.jsonl"},
                       "varlen-run-" + GetParam());
  ASSERT_TRUE(r.contains("summary"));
  std::map<uint32_t, uint64_t> seen;  // path_len → records
  for (const json& e : sink_lines(out + "/sink.jsonl")) {
    if (e["program"] != "file_ops") continue;
    const uint32_t len = e["path_len"];
    const std::string path = e["path"];
    EXPECT_EQ(path.size(), len);
    EXPECT_EQ(e["size"].get<uint32_t>(), (40 + len + 1 + 7) / 8 * 8) << e.dump();
    if (len < 256) {
      EXPECT_FALSE(e["truncated"].get<bool>()) << e.dump();
    }
    if (len > 0) {
      EXPECT_EQ(path.substr(0, 1), "t") << "the workload's names start with t<thread>-";
    }
    ++seen[len];
  }
  for (uint32_t len : {0u, 1u, 17u, 64u, 128u, 200u, 255u, 256u}) EXPECT_GT(seen[len], 0u) << "length " << len;
  EXPECT_EQ(seen.count(300), 0u) << "a 300-byte name is capped at 256";
  // the cap: 256-byte records come from two names (256 long, and 300 long truncated) in equal numbers
  uint64_t truncated = 0, whole256 = 0;
  for (const json& e : sink_lines(out + "/sink.jsonl"))
    if (e["program"] == "file_ops" && e["path_len"] == 256) (e["truncated"].get<bool>() ? truncated : whole256)++;
  EXPECT_GT(truncated, 0u);
  EXPECT_GT(whole256, 0u);
  EXPECT_LE(truncated > whole256 ? truncated - whole256 : whole256 - truncated, 2u);
  EXPECT_EQ(r["summary"]["programs"]["file_ops"]["record_bytes"]["max"].get<uint64_t>(), 304u);
}

INSTANTIATE_TEST_SUITE_P(Transports, VariableLengthRecords, testing::Values("ringbuf", "perfbuf"));

TEST(ExecProgram, RecordsCarryTheFilenameAndArgv) {
  RINGSIDE_REQUIRE_BPF();
  const std::string out = temp_dir("exec-sink");
  json r = run_program({"--program", "exec", "--rate", "100", "--duration", "0.3", "--repeat", "1", "--phases",
                        "baseline,traced", "--sink", out + "/sink.jsonl"},
                       "exec-sink-run");
  ASSERT_TRUE(r.contains("summary"));
  uint64_t n = 0;
  for (const json& e : sink_lines(out + "/sink.jsonl")) {
    if (e["program"] != "exec") continue;
    ++n;
    EXPECT_EQ(e["filename"], "/bin/true");
    EXPECT_EQ(e["argv"], (json{"true", "--ringside-exec", "argument-two", "a-third-argument-somewhat-longer-than-the-others"}));
  }
  EXPECT_GT(n, 0u);
}

TEST(TcpConnectProgram, RecordsCarryTheLoopbackFourTuple) {
  RINGSIDE_REQUIRE_BPF();
  const std::string out = temp_dir("tcp-sink");
  json r = run_program({"--program", "tcp_connect", "--rate", "500", "--duration", "0.3", "--repeat", "1", "--phases",
                        "baseline,traced", "--sink", out + "/sink.jsonl"},
                       "tcp-sink-run");
  ASSERT_TRUE(r.contains("summary"));
  std::set<int> dports;
  for (const json& e : sink_lines(out + "/sink.jsonl")) {
    if (e["program"] != "tcp_connect") continue;
    EXPECT_EQ(e["family"], 2);
    EXPECT_EQ(e["daddr"], "127.0.0.1");
    EXPECT_EQ(e["saddr"], "127.0.0.1");
    // sport stays 0: at the SYN_SENT transition the kernel has not picked the source port yet
    dports.insert(e["dport"].get<int>());
  }
  // one listener per workload process: the warm-up round's and the measured round's
  EXPECT_EQ(dports.size(), 2u);
  EXPECT_EQ(dports.count(0), 0u);
}

TEST(FunctionTiming, UprobeTargetsThatCannotWorkAreOneLineErrors) {
  RINGSIDE_REQUIRE_BPF();
  const std::string self = std::to_string(getpid());
  const std::string stripped = temp_dir("stripped") + "/ringside-workload";
  std::filesystem::copy_file(bin("ringside-workload"), stripped);
  ASSERT_EQ(std::system(("strip " + stripped).c_str()), 0);
  const std::vector<std::string> trace = {"trace", "--pid", self, "--program", "function_timing", "--function"};
  auto with = [&](const std::string& f) {
    auto a = trace;
    a.push_back(f);
    return a;
  };
  expect_usage_error(with("/nonexistent/binary:main"), "no such file or directory");
  expect_usage_error(with(bin("ringside-workload") + ":no_such_function"), "no function 'no_such_function'");
  expect_usage_error(with(stripped + ":ringside_workload_call"), "stripped");
  expect_usage_error(with("/etc/hostname:x"), "not an ELF file");
  expect_usage_error(with("no-colon"), "PATH:SYMBOL");
  expect_usage_error({"trace", "--pid", self, "--program", "function_timing"}, "needs --function");
}

TEST(Programs, AnUnknownProgramIsOneLineNamingIt) {
  expect_usage_error({"run", "--program", "tcp_conect", "--out", temp_dir("unknown-prog")}, "'tcp_conect'");
  const std::string dir = temp_dir("unknown-prog-yaml");
  std::ofstream(dir + "/c.yaml") << "agent:\n  ebpf:\n    programs: [tcp_connect, memory_allocs]\n";
  expect_usage_error({"run", "--config", dir + "/c.yaml", "--out", dir}, "agent.ebpf.programs");
  expect_usage_error({"run", "--config", dir + "/c.yaml", "--out", dir}, "'memory_allocs'");
}

// Several programs at once, on one shared ring and on one ring each: every program conserves on
// its own, against its share of the mixed workload's ground truth.
class MultiProgram : public testing::TestWithParam<std::string> {};

TEST_P(MultiProgram, EveryProgramConservesItsShare) {
  RINGSIDE_REQUIRE_BPF();
  json r = run_program({"--program", "tcp_connect,function_timing,memory_alloc", "--rings", GetParam(), "--rate", "3000",
                        "--duration", "0.5", "--repeat", "1", "--phases", "baseline,traced"},
                       "multi-" + GetParam());
  ASSERT_TRUE(r.contains("runs"));
  EXPECT_EQ(r["scenario"]["workload"], "mixed") << "the programs' workloads, mixed";
  for (const auto& run : r["runs"]) {
    if (run["phase"] != "traced") continue;
    const auto& truth = run["workload"]["by_syscall"];
    uint64_t total = 0;
    for (const std::string p : {"tcp_connect", "function_timing", "memory_alloc"}) {
      const auto& ev = run["programs"][p]["events"];
      EXPECT_EQ(ev["expected"].get<uint64_t>(), truth_for(p, truth)) << p << ": " << ev.dump();
      EXPECT_EQ(ev["received"].get<uint64_t>() + drops_of(ev), truth_for(p, truth)) << p;
      EXPECT_TRUE(ev["conserved"].get<bool>()) << p;
      EXPECT_GT(truth_for(p, truth), 0u) << p;
      total += truth_for(p, truth);
    }
    EXPECT_EQ(run["events"]["expected"].get<uint64_t>(), total);
    EXPECT_TRUE(run["events"]["conserved"].get<bool>());
  }
}

INSTANTIATE_TEST_SUITE_P(Rings, MultiProgram, testing::Values("shared", "per-program", "per-cpu"));

TEST(AgentConfig, TheWholeFileRunsAsItIs) {
  RINGSIDE_REQUIRE_BPF();
  const std::string dir = temp_dir("agent-config");
  std::ofstream(dir + "/agent.yaml") << "colony:\n  name: ants\n  queens: 3\n"
                                        "agent:\n  logging: { level: debug }\n  ebpf:\n    enabled: true\n"
                                        "    programs: [tcp_connect, function_timing, memory_alloc]\n"
                                        "    max_overhead_percent: 1.0\n    auto_disable_if_slow: true\n"
                                        "run:\n  duration_s: 0.4\n  repeat: 1\n  rate: 2000\n";
  int code = 0;
  Proc p = run({bin("ringside"), "run", "--config", dir + "/agent.yaml", "--no-report", "--phases", "baseline,traced",
                "--out", dir},
               &code);
  EXPECT_EQ(code, 0) << p.err();
  const std::string err = p.err();
  EXPECT_NE(err.find("ignoring what is not ringside's: colony, agent.logging"), std::string::npos) << err;
  const json r = read_results(dir);
  EXPECT_EQ(r["scenario"]["programs"], (json{"tcp_connect", "function_timing", "memory_alloc"}));
  EXPECT_TRUE(r["scenario"]["governor"].get<bool>());
  EXPECT_TRUE(r["summary"]["events"]["conserved"].get<bool>());
  for (const char* prog : {"tcp_connect", "function_timing", "memory_alloc"})
    EXPECT_TRUE(r["summary"]["programs"].contains(prog)) << prog;
  // unknown keys in ringside's own sections stay errors
  std::ofstream(dir + "/typo.yaml") << "colony: {}\nagent:\n  ebpf:\n    programz: [exec]\n";
  expect_usage_error({"run", "--config", dir + "/typo.yaml", "--out", dir}, "unknown key agent.ebpf.programz");
}

// Aggregate mode counts in the kernel and emits nothing: what it counted is what the kernel
// matched, which is the workload's ground truth.
class AggregateMode : public testing::TestWithParam<std::string> {};

TEST_P(AggregateMode, CountsMatchGroundTruthWithNoRecords) {
  RINGSIDE_REQUIRE_BPF();
  json r = run_program({"--program", GetParam(), "--duration", "0.4", "--repeat", "1", "--phases", "baseline,aggregate,traced"},
                       "agg-" + GetParam());
  ASSERT_TRUE(r.contains("runs"));
  bool saw = false;
  for (const auto& run : r["runs"]) {
    if (run["phase"] != "aggregate") continue;
    saw = true;
    const uint64_t truth = truth_for(GetParam(), run["workload"]["by_syscall"]);
    EXPECT_EQ(run["events"]["received"].get<uint64_t>(), truth) << run["events"].dump();
    EXPECT_TRUE(run["events"]["conserved"].get<bool>());
    EXPECT_EQ(run["cpu"]["consumer_ns"].get<uint64_t>(), 0u) << "nothing read in userspace";
  }
  EXPECT_TRUE(saw);
  EXPECT_TRUE(r["summary"]["overhead"].contains("aggregate_ops_per_sec"));
}

INSTANTIATE_TEST_SUITE_P(Programs, AggregateMode, testing::Values("syscall_tap", "memory_alloc"));

// `trace --program P` against processes ringside did not start (the interface the checks use).
TEST(TracePrograms, FunctionTimingAndMemoryAllocOnARunningProcess) {
  RINGSIDE_REQUIRE_BPF();
  for (const std::string program : {"function_timing", "memory_alloc"}) {
    SCOPED_TRACE(program);
    ringside::WorkloadSpec spec;
    spec.kind = program == "function_timing" ? ringside::WorkloadKind::calls : ringside::WorkloadKind::alloc;
    spec.ops = 20000;
    auto child = ringside::WorkloadProcess::spawn(spec, bin("ringside-workload"));
    const std::string out = temp_dir("trace-" + program);
    std::vector<std::string> argv = {bin("ringside"), "trace", "--pid", std::to_string(child.pid()), "--program", program,
                                     "--ready-file", out + "/ready", "--out", out};
    if (program == "function_timing") argv.insert(argv.end(), {"--function", bin("ringside-workload") + ":ringside_workload_call"});
    Proc tr = spawn(argv);
    ASSERT_TRUE(wait_for_file(out + "/ready", std::chrono::seconds(20))) << Proc::slurp(tr.err_path);
    child.go();
    const ringside::WorkloadResult truth = child.wait();
    const int code = tr.wait_exit();
    EXPECT_EQ(code, 0) << tr.err();
    const json r = read_results(out);
    const auto& ev = r["summary"]["events"];
    const uint64_t want = truth_for(program, json(truth.by_syscall));
    // trace follows the process to its end: function calls are exactly the workload's; the
    // allocator is also called while the workload prints its result and its threads exit
    if (program == "function_timing") {
      EXPECT_EQ(ev["matched"].get<uint64_t>(), want) << ev.dump();
    } else {
      EXPECT_GE(ev["matched"].get<uint64_t>(), want) << ev.dump();
    }
    EXPECT_EQ(ev["received"].get<uint64_t>() + drops_of(ev), ev["matched"].get<uint64_t>()) << ev.dump();
    EXPECT_TRUE(ev["conserved"].get<bool>());
  }
}

}  // namespace
