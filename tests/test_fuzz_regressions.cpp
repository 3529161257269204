// Inputs the fuzz targets (fuzz/) found, each fed through the entry point its target drives and
// checked for the property that broke. A new finding: fix it, add its input here.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "config_file.h"
#include "event.h"
#include "gate_report.h"
#include "gate_verdict.h"
#include "option_table.h"
#include "record_format.h"
#include "registry.h"
#include "results_reader.h"
#include "sink_writer.h"
#include "usage_error.h"
#include "values.h"

extern "C" {
#include "memory_alloc.h"
}

namespace ringside {
namespace {

namespace fs = std::filesystem;

// The input as a file, for the entry points that read a path (as the fuzz targets do).
class FuzzInput : public ::testing::Test {
 protected:
  FuzzInput() { fs::create_directories(dir_); }
  void TearDown() override { fs::remove_all(dir_); }
  std::string file(const std::string& bytes) {
    const fs::path p = dir_ / ("input-" + std::to_string(++n_));
    std::ofstream(p, std::ios::binary) << bytes;
    return p.string();
  }
  fs::path dir_ = fs::temp_directory_path() / ("ringside-fuzz-regressions-" + std::to_string(getpid()));
  int n_ = 0;
};

// fuzz_values: a rate shown with {:g} kept six digits, so validate() and results.json carried
// 1.23457e+06 for --rate 1234567.
TEST(FuzzValues, EveryRateShowsAsTextThatReadsBackExactly) {
  for (const char* text : {"1234567", "999999.5", "123456.789", "1000001", "2.5M", "10k", "1", "1e9"}) {
    const auto rate = parse_rate(text);
    ASSERT_TRUE(rate) << text;
    const auto back = parse_rate(to_string(*rate));
    ASSERT_TRUE(back) << text << " shows as " << to_string(*rate);
    EXPECT_EQ(back->per_sec, rate->per_sec) << text << " shows as " << to_string(*rate);
  }
  EXPECT_EQ(to_string(*parse_rate("1234567")), "1234567");
  const OptionSpec* spec = find_option("run.rate");
  ASSERT_NE(spec, nullptr);
  RunOptions o, again;
  ASSERT_FALSE(spec->assign(o, "1234567"));
  ASSERT_FALSE(spec->assign(again, spec->show(o)));
  EXPECT_EQ(again.rate, o.rate);
}

// fuzz_config: a value with a newline (a block scalar) split the "one line" error in two.
TEST_F(FuzzInput, ConfigErrorsQuotingAMultiLineValueStayOneLine) {
  RunOptions options;
  const std::string path = file("run:\n  workload: |\n    write\n    openat\n  out: \"a\\tb\"\n");
  try {
    load_config_file(path, options);
    FAIL() << "a two-line workload name loaded";
  } catch (const UsageError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    EXPECT_NE(what.find("run.workload: expected write, "), std::string::npos) << what;
    EXPECT_TRUE(what.ends_with("got 'write\\nopenat\\n'")) << what;
  }
  // the same through the option table, as a flag's value arrives
  try {
    assign_option(*find_option("run.threads"), options, "1\n\x1b[2J", "--threads");
    FAIL() << "a two-line thread count was accepted";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--threads: expected an integer in 1..256, got '1\\n\\x1b[2J'");
  }
}

// fuzz_results_json: traced runs with no metric in them read as a gate input with nothing to
// compare, which --update-baseline would then store as the baseline.
TEST_F(FuzzInput, ResultsWithoutAnyMetricAreAUsageError) {
  const std::string path = file(R"({"schema":"ringside.results/v1","runs":[{"pse":"baseline"}]})");
  try {
    gate::load_gate_input(path);
    FAIL() << "a results file with no metrics loaded";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), path + ": no metrics in its traced runs");
  }
}

// fuzz_results_json: a benchmark named "a\nb\u0001c" added a row to the gate's table and
// Markdown and put a control byte (not allowed in XML 1.0) into the JUnit file.
TEST_F(FuzzInput, MetricNamesCannotReshapeTheGateReports) {
  const std::string path = file(R"({"context":{"kernel":"k","num_cpus":2},)"
                                R"("benchmarks":[{"name":"a\nb\u0001c","real_time":1,"time_unit":"us"}]})");
  const gate::GateInput in = gate::load_gate_input(path);
  ASSERT_EQ(in.metrics.size(), 1u);
  gate::GateReport report{.baseline_path = path,
                          .current_path = path,
                          .host_class = in.host_class,
                          .options = {},
                          .result = gate::evaluate(in, in, {}, {})};
  gate::GateReport plain = report;
  plain.result.metrics[0].baseline.name = plain.result.metrics[0].current.name = "m0";
  const auto lines = [](const std::string& s) { return std::count(s.begin(), s.end(), '\n'); };
  for (auto render : {gate::render_table, gate::render_markdown, gate::render_junit}) {
    const std::string out = render(report);
    EXPECT_EQ(lines(out), lines(render(plain))) << out;
    for (unsigned char c : out) EXPECT_TRUE(c >= 0x20 || c == '\n') << "control byte " << int(c) << " in " << out;
    EXPECT_NE(out.find("a\\nb\\x01c"), std::string::npos) << "the name, escaped: " << out;
  }
}

// fuzz_record: memory_alloc's sink line named "size" twice (the record's size, then the
// allocation's); JSON readers keep one of the two.
TEST(FuzzRecord, MemoryAllocSinkLinesNameEveryKeyOnce) {
  LoadOptions load;
  const RecordFormat format({kMemoryAllocSpec.format(load)}, false);
  rs_alloc_event r{};
  r.h.size = sizeof(r);
  r.h.prog = RS_PROG_MEMORY_ALLOC;
  r.h.flags = RS_F_STAMPED;
  r.h.kind = 0;  // malloc
  r.h.tgid = 4242;
  r.h.t_hook = 1'000'000;
  r.h.t_submit = 1'000'500;
  r.size = 64;
  r.ptr = 0x55550000;
  alignas(Event) uint8_t slot[sizeof(Event) + sizeof(r)];
  Event& e = *new (slot) Event{};
  ASSERT_TRUE(format.classify(reinterpret_cast<const uint8_t*>(&r), sizeof(r), e).valid);
  copy_record(e, reinterpret_cast<const uint8_t*>(&r), sizeof(r), format.max_record_bytes());
  std::string line;
  append_sink_line(format.programs()[0], e, line);

  std::multiset<std::string> keys;
  const nlohmann::json::parser_callback_t collect = [&](int depth, nlohmann::json::parse_event_t event,
                                                        nlohmann::json& parsed) {
    if (depth == 1 && event == nlohmann::json::parse_event_t::key) keys.insert(parsed.get<std::string>());
    return true;
  };
  const nlohmann::json doc = nlohmann::json::parse(line, collect);
  for (const std::string& k : keys) EXPECT_EQ(keys.count(k), 1u) << k << " in " << line;
  EXPECT_EQ(doc["size"], sizeof(r)) << line;
  EXPECT_EQ(doc["alloc_size"], 64) << line;
  EXPECT_EQ(doc["function"], "malloc") << line;
}

}  // namespace
}  // namespace ringside
