// The YAML config loader and validate(): the shipped examples load, every error names its key.
#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "config_file.h"
#include "option_table.h"
#include "usage_error.h"

namespace ringside {
namespace {

namespace fs = std::filesystem;
const fs::path kConfigs = fs::path(RINGSIDE_SOURCE_DIR) / "ci" / "configs";

// The dotted prefix of a section's keys, and YAML setting one entry in it: at("run", "threads: 0").
std::string section_path(const std::string& section) {
  if (section == "run") return "run";
  return section == "governor" ? "agent.ebpf.governor" : "agent." + section;
}
std::string at(const std::string& section, const std::string& entry) {
  std::string yaml = "{ " + entry + " }";
  std::string path = section_path(section);
  for (auto dot = path.rfind('.'); dot != std::string::npos; dot = path.rfind('.')) {
    yaml = "{ " + path.substr(dot + 1) + ": " + yaml + " }";
    path.resize(dot);
  }
  return path + ": " + yaml + "\n";
}

// A YAML file in a fresh temporary directory, removed with the fixture.
class ConfigFile : public ::testing::Test {
 protected:
  ConfigFile() { fs::create_directories(dir_); }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& yaml) {
    std::ofstream(path_) << yaml;
    return path_.string();
  }
  // The UsageError message loading `yaml` onto defaults throws, or "" when it loads.
  std::string load_error(const std::string& yaml) {
    RunOptions options;
    try {
      load_config_file(write(yaml), options);
    } catch (const UsageError& e) {
      return e.what();
    }
    return "";
  }
  fs::path dir_ = fs::temp_directory_path() / ("ringside-test-config-" + std::to_string(getpid()));
  fs::path path_ = dir_ / "c.yaml";
};

void collect_leaves(const YAML::Node& node, const std::string& prefix, std::vector<std::string>& out) {
  for (const auto& entry : node) {
    std::string path = prefix.empty() ? entry.first.Scalar() : prefix + "." + entry.first.Scalar();
    if (entry.second.IsMap()) {
      collect_leaves(entry.second, path, out);
    } else {
      out.push_back(path);
    }
  }
}

TEST(ShippedConfigs, DefaultYamlSpellsOutExactlyTheBuiltInDefaults) {
  RunOptions loaded;
  loaded.threads = 77;  // the file must set it back
  load_config_file((kConfigs / "default.yaml").string(), loaded);
  EXPECT_EQ(loaded, RunOptions{});
  EXPECT_NO_THROW(validate(loaded));
}

TEST(ShippedConfigs, DefaultYamlNamesEveryConfigKeyInTableOrder) {
  std::vector<std::string> leaves;
  collect_leaves(YAML::LoadFile((kConfigs / "default.yaml").string()), "", leaves);
  EXPECT_EQ(leaves, config_keys());
}

TEST(ShippedConfigs, GovernorYamlTurnsTheGovernorOn) {
  RunOptions loaded;
  load_config_file((kConfigs / "governor.yaml").string(), loaded);
  EXPECT_TRUE(loaded.governor.enabled);
  EXPECT_EQ(loaded.governor.window_ms, 250u);
  EXPECT_EQ(loaded.governor.recover_after_windows, 8u);
  EXPECT_EQ(to_string(loaded.governor.degrade), "sample:2,sample:8,detach");
  EXPECT_EQ(loaded.pipeline.workers, 1u);
  EXPECT_DOUBLE_EQ(loaded.duration_s, 5.0);
  EXPECT_EQ(loaded.out, "ringside-out/governor");
  EXPECT_NO_THROW(validate(loaded));
}

TEST_F(ConfigFile, OnlyTheKeysInTheFileChange) {
  RunOptions options;
  options.threads = 4;
  options.pipeline.transport = Transport::perfbuf;
  load_config_file(write("run: { repeat: 9 }\n" + at("governor", "windows_over: 2")), options);
  EXPECT_EQ(options.repeat, 9u);
  EXPECT_EQ(options.governor.windows_over, 2u);
  EXPECT_EQ(options.threads, 4u);
  EXPECT_EQ(options.pipeline.transport, Transport::perfbuf);
}

TEST_F(ConfigFile, EmptyFileKeepsEverything) {
  RunOptions options;
  load_config_file(write("# nothing\n"), options);
  EXPECT_EQ(options, RunOptions{});
}

TEST_F(ConfigFile, FlagsOverrideByPlainAssignmentAfterLoading) {
  RunOptions options;
  load_config_file((kConfigs / "governor.yaml").string(), options);
  // What `ringside run --config governor.yaml --threads 4 --transport perfbuf --wakeup every` does.
  options.threads = 4;
  options.pipeline.transport = Transport::perfbuf;
  options.pipeline.wakeup = *parse_wakeup("every");
  EXPECT_NO_THROW(validate(options));
  EXPECT_EQ(options.threads, 4u);
  EXPECT_EQ(options.governor.window_ms, 250u);  // untouched file value survives
  options.threads = 0;  // a bad flag value is caught by validate(), naming the config key
  try {
    validate(options);
    FAIL() << "threads 0 accepted";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "run.threads: expected an integer in 1..256, got '0'");
  }
}

TEST_F(ConfigFile, TypeErrorMessageIsExact) {
  EXPECT_EQ(load_error("agent:\n  ebpf:\n    governor:\n      window_ms: abc\n"),
            "config " + path_.string() +
                ": agent.ebpf.governor.window_ms: expected an integer ≥ 50, got 'abc'");
}

TEST_F(ConfigFile, UnknownKeysAreNamedByFullPath) {
  const std::string prefix = "config " + path_.string() + ": unknown key ";
  EXPECT_EQ(load_error("agent: { ebpf: { governr: {} } }\n"), prefix + "agent.ebpf.governr");
  EXPECT_EQ(load_error("agent: { ebpf: { governor: { windw_ms: 9 } } }\n"),
            prefix + "agent.ebpf.governor.windw_ms");
  EXPECT_EQ(load_error("runn: {}\n"), prefix + "runn (did you mean run?)");
  EXPECT_EQ(load_error("agent: { ebpff: {} }\n"), prefix + "agent.ebpff (did you mean agent.ebpf?)");
  EXPECT_EQ(load_error("observability: {}\n"), "") << "an agent's own sections are not ringside's to judge";
  EXPECT_EQ(load_error("agent: { pipeline: { transport: ringbuf } }\n"), prefix + "agent.pipeline.transport");
}

TEST_F(ConfigFile, StructuralErrorsNameTheKey) {
  EXPECT_NE(load_error("agent: 5\n").find(": agent: expected a mapping, got '5'"), std::string::npos);
  EXPECT_NE(load_error("run: { threads: { n: 2 } }\n")
                .find("run.threads: expected an integer in 1..256, got a mapping"),
            std::string::npos);
  EXPECT_NE(load_error("agent: { ebpf: { programs: syscall_tap } }\n")
                .find("agent.ebpf.programs: expected a list of program names, got 'syscall_tap'"),
            std::string::npos);
  EXPECT_NE(load_error("run: { threads: 1, threads: 2 }\n").find("duplicate key run.threads"),
            std::string::npos);
  EXPECT_NE(load_error("- a\n- b\n").find("expected a mapping at the top level"), std::string::npos);
}

TEST_F(ConfigFile, UnparsableFileGivesOneLineWithTheLineNumber) {
  std::string error = load_error("run:\n  threads: 1\n  repeat: [1, 2\n");
  EXPECT_TRUE(error.starts_with("config " + path_.string() + ": line ")) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  EXPECT_NE(load_error("run:\n  threads: 1\n   repeat: 2\n").find("line 3"), std::string::npos);
}

TEST(ConfigFileMissing, SaysSoInOneLowercaseLine) {
  RunOptions options;
  try {
    load_config_file("/nonexistent/ringside.yaml", options);
    FAIL() << "missing file loaded";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "config /nonexistent/ringside.yaml: cannot read: no such file or directory");
  }
}

// One bad value per row: the file's error and validate()'s must both name the key and show the value.
struct BadValue {
  std::string section;                         // ebpf, governor, pipeline or run
  std::string entry;                           // "window_ms: 49"
  std::string got;                             // how the error shows the value
  std::function<void(RunOptions&)> set = {};  // the same value by assignment, for validate()
  std::string key() const { return section_path(section) + "." + entry.substr(0, entry.find(':')); }
};

void PrintTo(const BadValue& bad, std::ostream* os) { *os << bad.key() << " = " << bad.got; }

class BadValues : public ConfigFile, public ::testing::WithParamInterface<BadValue> {};

TEST_P(BadValues, FileAndValidateNameTheKey) {
  const BadValue& bad = GetParam();
  std::string error = load_error(at(bad.section, bad.entry));
  EXPECT_TRUE(error.starts_with("config " + path_.string() + ": " + bad.key() + ": expected ")) << error;
  EXPECT_TRUE(error.ends_with(", got " + bad.got)) << error;
  if (!bad.set) return;
  RunOptions options;
  bad.set(options);
  try {
    validate(options);
    ADD_FAILURE() << "validate accepted " << bad.key() << " = " << bad.got;
  } catch (const UsageError& e) {
    EXPECT_EQ(error.substr(error.find(": ") + 2), e.what());
  }
}

INSTANTIATE_TEST_SUITE_P(
    EveryRule, BadValues,
    ::testing::Values(
        BadValue{"ebpf", "enabled: maybe", "'maybe'"},
        BadValue{"ebpf", "programs: [tcp_connect_x]", "'tcp_connect_x'"},
        BadValue{"ebpf", "programs: []", "''", [](RunOptions& o) { o.programs = {}; }},
        BadValue{"ebpf", "transport: xdp", "'xdp'"},
        BadValue{"ebpf", "wakeup: batch:0", "'batch:0'"},
        BadValue{"ebpf", "wakeup: batch:1000001", "'batch:1000001'"},
        BadValue{"ebpf", "wakeup: sometimes", "'sometimes'"},
        BadValue{"ebpf", "hook: kprobe", "'kprobe'"},
        BadValue{"ebpf", "ring_bytes: 10000", "'10000'", [](RunOptions& o) { o.pipeline.ring_bytes = 10000; }},
        BadValue{"ebpf", "ring_bytes: 2048", "'2048'"},
        BadValue{"ebpf", "max_overhead_percent: 0", "'0'",
                 [](RunOptions& o) { o.governor.max_overhead_percent = 0; }},
        BadValue{"ebpf", "max_overhead_percent: 100.5", "'100.5'"},
        BadValue{"ebpf", "max_overhead_percent: nan", "'nan'"},
        BadValue{"ebpf", "auto_disable_if_slow: [true]", "a list"},
        BadValue{"governor", "window_ms: 49", "'49'", [](RunOptions& o) { o.governor.window_ms = 49; }},
        BadValue{"governor", "window_ms: -5", "'-5'"},
        BadValue{"governor", "window_ms: 5000000000", "'5000000000'"},
        BadValue{"governor", "windows_over: 0", "'0'", [](RunOptions& o) { o.governor.windows_over = 0; }},
        BadValue{"governor", "max_drop_ratio: 1.5", "'1.5'",
                 [](RunOptions& o) { o.governor.max_drop_ratio = 1.5; }},
        BadValue{"governor", "max_drop_ratio: -0.1", "'-0.1'"},
        BadValue{"governor", "max_drop_ratio: lots", "'lots'"},
        BadValue{"governor", "degrade: [sample:8, sample:2]", "'sample:8,sample:2'",
                 [](RunOptions& o) { o.governor.degrade = {{false, 8}, {false, 2}}; }},
        BadValue{"governor", "degrade: [detach, sample:2]", "'detach,sample:2'"},
        BadValue{"governor", "degrade: [sample:1]", "'sample:1'"},
        BadValue{"governor", "degrade: [sample:2, sample:2]", "'sample:2,sample:2'"},
        BadValue{"governor", "degrade: []", "''", [](RunOptions& o) { o.governor.degrade = {}; }},
        BadValue{"governor", "recover_after_windows: x", "'x'"},
        BadValue{"pipeline", "workers: 257", "'257'", [](RunOptions& o) { o.pipeline.workers = 257; }},
        BadValue{"pipeline", "queue_policy: spill", "'spill'"},
        BadValue{"pipeline", "pool_size: 0", "'0'", [](RunOptions& o) { o.pipeline.pool_size = 0; }},
        BadValue{"pipeline", "queue_size: 1", "'1'", [](RunOptions& o) { o.pipeline.queue_size = 1; }},
        BadValue{"pipeline", "pin: 2", "'2'"},
        BadValue{"pipeline", "sink: [a]", "a list"},
        BadValue{"pipeline", "inject_handler_delay_ns: 1000000001", "'1000000001'",
                 [](RunOptions& o) { o.pipeline.inject_handler_delay_ns = 1'000'000'001; }},
        BadValue{"run", "workload: fork", "'fork'"},
        BadValue{"run", "rate: 0", "'0'"},
        BadValue{"run", "rate: fast", "'fast'"},
        BadValue{"run", "rate: 1e999", "'1e999'"},
        BadValue{"run", "threads: 257", "'257'", [](RunOptions& o) { o.threads = 257; }},
        BadValue{"run", "duration_s: 0", "'0'", [](RunOptions& o) { o.duration_s = 0; }},
        BadValue{"run", "duration_s: -1", "'-1'"},
        BadValue{"run", "duration_s: nan", "'nan'"},
        BadValue{"run", "duration_s: inf", "'inf'"},
        BadValue{"run", "repeat: 1001", "'1001'", [](RunOptions& o) { o.repeat = 1001; }},
        BadValue{"run", "budget_pct: 0", "'0'", [](RunOptions& o) { o.budget_pct = 0; }},
        BadValue{"run", "budget_pct: nan", "'nan'"},
        BadValue{"run", "out: ''", "''", [](RunOptions& o) { o.out = ""; }}),
    [](const ::testing::TestParamInfo<BadValue>& info) {
      std::string name = info.param.key() + "_" + std::to_string(info.index);
      for (char& c : name)
        if (c == '.') c = '_';
      return name;
    });

TEST_F(ConfigFile, BoundaryValuesAreAccepted) {
  EXPECT_EQ(load_error(at("governor", "window_ms: 50, windows_over: 1, max_drop_ratio: 0, degrade: [detach]")),
            "");
  EXPECT_EQ(load_error(at("governor", "max_drop_ratio: 1, degrade: [sample:2, sample:1000000]")), "");
  EXPECT_EQ(load_error(at("ebpf", "max_overhead_percent: 100, wakeup: batch:1000000, ring_bytes: 4096")), "");
  EXPECT_EQ(load_error(at("ebpf", "wakeup: batch:1, transport: perfbuf, hook: tracepoint, enabled: no")), "");
  EXPECT_EQ(load_error(at("run", "threads: 256, repeat: 1000, duration_s: 0.5, rate: 10k, budget_pct: 100")),
            "");
  EXPECT_EQ(load_error(at("pipeline", "workers: 256, queue_policy: block, sink: ~")), "");
}

TEST(ValueSyntax, WakeupDegradeAndRateParse) {
  using K = WakeupPolicy::Kind;
  EXPECT_EQ(*parse_wakeup("batch:64"), (WakeupPolicy{K::batch, 64}));
  EXPECT_EQ(parse_wakeup("every")->kind, K::every);
  EXPECT_EQ(parse_wakeup("adaptive")->kind, K::adaptive);
  EXPECT_FALSE(parse_wakeup("batch:"));
  EXPECT_FALSE(parse_wakeup("batch:+4"));
  EXPECT_FALSE(parse_wakeup("batches:4"));
  auto ladder = parse_degrade_ladder("sample:2,sample:8,detach");
  ASSERT_TRUE(ladder);
  EXPECT_EQ(*ladder, (std::vector<DegradeStep>{{false, 2}, {false, 8}, {true, 1}}));
  EXPECT_FALSE(parse_degrade_ladder("sample:2,detach,detach"));
  EXPECT_EQ(parse_rate("max")->per_sec, 0);
  EXPECT_EQ(parse_rate("2500")->per_sec, 2500);
  EXPECT_EQ(parse_rate("100k")->per_sec, 100'000);
  EXPECT_EQ(parse_rate("1M")->per_sec, 1'000'000);
  EXPECT_FALSE(parse_rate("2000M"));
  EXPECT_FALSE(parse_rate("k"));
  EXPECT_EQ(to_string(*parse_wakeup("batch:64")), "batch:64");
  EXPECT_EQ(parse_enum<Transport>("perfbuf").error(), "");
  EXPECT_EQ(parse_enum<Transport>("xdp").error(), "expected ringbuf or perfbuf, got 'xdp'");
}

// Every option reads back what it shows: the table's two directions agree for the defaults.
TEST(OptionTable, EveryOptionRoundTripsItsDefault) {
  const RunOptions defaults;
  for (const OptionSpec& spec : option_specs()) {
    RunOptions o;
    EXPECT_FALSE(spec.assign(o, spec.show(defaults))) << spec.key;
    EXPECT_EQ(o, defaults) << spec.key;
  }
}

}  // namespace
}  // namespace ringside
