// --bpf-object: a user's object under the harness. Objects from tests/bpf (a ring-buffer emitter,
// a perf-buffer emitter, one the verifier rejects) conserve against the workload, their drops
// counted by their own counters; bad objects and bad options are one-line exit-2 errors; the
// floor's stub object mirrors the object's programs; nothing stays attached after exit, Ctrl-C
// or SIGKILL.
#include <bpf/libbpf.h>

#include "bpf_object.h"
#include "test_support.h"

using namespace ringside::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::string object(const std::string& stem) { return std::string(RINGSIDE_BINARY_DIR) + "/tests/" + stem + ".bpf.o"; }

json run_object(const std::vector<std::string>& args, const std::string& tag, int want = 0) {
  const std::string out = temp_dir("obj-" + tag);
  std::vector<std::string> argv = {bin("ringside"), "run", "--no-report", "--out", out, "--duration", "0.5",
                                   "--repeat", "1"};
  argv.insert(argv.end(), args.begin(), args.end());
  int code = 0;
  Proc p = run(argv, &code);
  EXPECT_EQ(code, want) << p.err() << p.out();
  return std::filesystem::exists(out + "/results.json") ? read_results(out) : json{};
}

uint64_t drops_of(const json& events) {
  uint64_t n = 0;
  for (const auto& [cause, v] : events["dropped"].items()) n += v.get<uint64_t>();
  return n;
}

TEST(BpfObject, RingBufferEmitterConservesAgainstTheWorkload) {
  RINGSIDE_REQUIRE_BPF();
  const json r = run_object({"--bpf-object", object("rb_emitter"), "--ring", "rb", "--rodata", "target_tgid={pid}",
                             "--timestamp-offset", "0", "--drop-counter", "reserve_failed", "--expect-per-op", "1",
                             "--workload", "write", "--phases", "baseline,floor,traced"},
                            "rb");
  ASSERT_FALSE(r.is_null());
  const json& e = r["summary"]["events"];
  const uint64_t ops = r["summary"]["workload"]["ops"].get<uint64_t>();
  EXPECT_GT(ops, 1000u);
  EXPECT_EQ(e["expected_source"], "workload");
  EXPECT_EQ(e["expected"].get<uint64_t>(), ops) << "one record per write";
  EXPECT_EQ(e["received"].get<uint64_t>() + drops_of(e), ops);
  EXPECT_EQ(e["conserved"], true);
  EXPECT_EQ(e["dropped"]["malformed"], 0);
  const json& lat = r["summary"]["latency_ns"];
  EXPECT_GT(lat["end_to_end"]["count"].get<uint64_t>(), 0u) << "the timestamp at byte 0 gives end-to-end";
  EXPECT_GT(lat["submit_to_read"]["count"].get<uint64_t>(), 0u);
  EXPECT_LT(lat["end_to_end"]["p50"].get<uint64_t>(), 10'000'000'000ull) << "a timestamp, not garbage";
  const json& obj = r["scenario"]["bpf_object"];
  EXPECT_EQ(obj["transport"], "ringbuf");
  EXPECT_EQ(obj["programs"][0]["section"], "tracepoint/syscalls/sys_enter_write");
  EXPECT_TRUE(r["summary"]["overhead"].contains("floor_slowdown_pct")) << r["summary"]["overhead"].dump();
  EXPECT_GT(r["summary"]["cpu"]["bpf_ns"].get<uint64_t>(), 0u) << "the object's run time is accounted";
  const json& prog = r["summary"]["programs"]["bpf_object"];
  EXPECT_EQ(prog["record_bytes"]["max"].get<uint64_t>(), 32u) << prog.dump();
}

TEST(BpfObject, PerfBufferEmitterConservesWithItsOwnDropCounter) {
  RINGSIDE_REQUIRE_BPF();
  const json r = run_object({"--bpf-object", object("pb_emitter"), "--ring", "pb", "--rodata", "target_tgid={pid}",
                             "--timestamp-offset", "8", "--drop-counter", "output_failed", "--expect-per-op", "1",
                             "--workload", "write", "--phases", "baseline,traced"},
                            "pb");
  ASSERT_FALSE(r.is_null());
  const json& e = r["summary"]["events"];
  EXPECT_EQ(r["scenario"]["bpf_object"]["transport"], "perfbuf");
  EXPECT_EQ(e["received"].get<uint64_t>() + drops_of(e), e["expected"].get<uint64_t>());
  EXPECT_EQ(e["conserved"], true);
  EXPECT_EQ(e["perf_lost_reported"].get<uint64_t>(), e["dropped"]["perf_lost"].get<uint64_t>())
      << "the object's count of failed outputs agrees with the perf buffer's lost records";
  EXPECT_GT(r["summary"]["latency_ns"]["end_to_end"]["count"].get<uint64_t>(), 0u);
}

// A 4 KiB ring at max rate overflows: the object's counter names every drop. Without the
// counter the same run is not conserved, and says so with exit 1.
TEST(BpfObject, RingFullDropsAreCountedOrTheRunIsNotConserved) {
  RINGSIDE_REQUIRE_BPF();
  const std::vector<std::string> common = {"--bpf-object", object("rb_emitter"), "--ring", "rb", "--rodata",
                                           "target_tgid={pid}", "--ring-bytes", "4096", "--expect-per-op", "1",
                                           "--workload", "write", "--phases", "baseline,traced"};
  std::vector<std::string> counted = common;
  counted.insert(counted.end(), {"--drop-counter", "reserve_failed"});
  const json r = run_object(counted, "tiny");
  ASSERT_FALSE(r.is_null());
  const json& e = r["summary"]["events"];
  EXPECT_GT(e["dropped"]["kernel_reserve"].get<uint64_t>(), 0u) << "a 4 KiB ring overflows at max rate";
  EXPECT_EQ(e["conserved"], true);
  EXPECT_EQ(r["scenario"]["bpf_object"]["ring_bytes"], 4096);
  const json bad = run_object(common, "tiny-uncounted", 1);
  ASSERT_FALSE(bad.is_null());
  EXPECT_EQ(bad["summary"]["events"]["conserved"], false);
}

TEST(BpfObject, WithoutExpectPerOpThereIsNoVerdict) {
  RINGSIDE_REQUIRE_BPF();
  const json r = run_object({"--bpf-object", object("rb_emitter"), "--ring", "rb", "--rodata", "target_tgid={pid}",
                             "--workload", "write", "--phases", "baseline,traced"},
                            "noverdict");
  ASSERT_FALSE(r.is_null());
  const json& e = r["summary"]["events"];
  EXPECT_TRUE(e["conserved"].is_null());
  EXPECT_TRUE(e["expected"].is_null());
  EXPECT_EQ(e["expected_source"], "none");
  EXPECT_GT(e["received"].get<uint64_t>(), 0u);
}

TEST(BpfObject, BadObjectsAndOptionsAreOneLineErrors) {
  const std::string rb = object("rb_emitter");
  const std::vector<std::string> run = {"run", "--duration", "0.2", "--repeat", "1", "--out", temp_dir("obj-bad")};
  const auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = run;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  expect_usage_error(with({"--bpf-object", rb, "--ring", "nope"}), "has no map 'nope' (maps: rb, seen)");
  expect_usage_error(with({"--bpf-object", rb, "--ring", "seen"}), "is a hash map, expected a ringbuf or perf_event_array");
  expect_usage_error(with({"--bpf-object", rb, "--ring", "rb", "--rodata", "no_such=1"}),
                     "has no global variable 'no_such' (globals: reserve_failed, target_tgid)");
  expect_usage_error(with({"--bpf-object", rb, "--ring", "rb", "--rodata", "target_tgid=4294967296"}),
                     "does not fit u32");
  expect_usage_error(with({"--bpf-object", rb, "--ring", "rb", "--rodata", "target_tgid=-1"}), "does not fit u32");
  expect_usage_error(with({"--bpf-object", rb, "--ring", "rb", "--rodata", "target_tgid"}), "expected NAME=VALUE");
  expect_usage_error(with({"--bpf-object", rb, "--ring", "rb", "--drop-counter", "nothing"}),
                     "has no global or array map 'nothing'");
  expect_usage_error(with({"--bpf-object", rb, "--ring", "rb", "--drop-counter", "seen"}), "is a hash map");
  expect_usage_error(with({"--bpf-object", rb}), "needs --ring MAP");
  expect_usage_error(with({"--ring", "rb"}), "need --bpf-object FILE");
  expect_usage_error(with({"--bpf-object", "/nonexistent.bpf.o", "--ring", "rb"}), "no such file");
  expect_usage_error(with({"--bpf-object", "/etc/hostname", "--ring", "rb"}), "not a BPF object libbpf can open");
  expect_usage_error(with({"--bpf-object", rb, "--ring", "rb", "--program", "exec"}), "give one of them");
  expect_usage_error(with({"--bpf-object", rb, "--ring", "rb", "--transport", "perfbuf"}), "map 'rb' decides it");
  expect_usage_error(with({"--bpf-object", object("pb_emitter"), "--ring", "pb", "--phases", "baseline,bare,traced"}),
                     "the lean consumer reads a ring buffer");
  expect_usage_error(with({"--bpf-object", rb, "--ring", "rb", "--phases", "aggregate,traced"}),
                     "bpf_object has no aggregate mode");
  expect_usage_error(with({"--program", "bpf_object"}), "your own object: --bpf-object FILE");
}

TEST(BpfObject, AVerifierRejectionShowsTheVerifiersLastLines) {
  RINGSIDE_REQUIRE_BPF();
  expect_usage_error({"run", "--duration", "0.2", "--repeat", "1", "--out", temp_dir("obj-verifier"), "--bpf-object",
                      object("verifier_reject"), "--ring", "rb"},
                     "the verifier rejected it; last verifier lines:");
}

// The floor's stub: the same program names in the same sections, each `r0 = 0; exit`.
TEST(BpfObject, TheFloorStubMirrorsTheObjectsPrograms) {
  const std::vector<ringside::BpfObjectProgram> progs = {{"on_write", "tracepoint/syscalls/sys_enter_write"},
                                                         {"on_enter", "raw_tracepoint/sys_enter"},
                                                         {"also_write", "tracepoint/syscalls/sys_enter_write"},
                                                         {"in_libc", "uprobe/libc.so.6:malloc"}};
  const std::vector<uint8_t> image = ringside::stub_object(progs);
  bpf_object* obj = bpf_object__open_mem(image.data(), image.size(), nullptr);
  ASSERT_NE(obj, nullptr) << "libbpf opens the stub";
  std::vector<ringside::BpfObjectProgram> seen;
  bpf_program* p;
  bpf_object__for_each_program(p, obj) {
    seen.push_back({bpf_program__name(p), bpf_program__section_name(p)});
    EXPECT_EQ(bpf_program__insn_cnt(p), 2u);
    EXPECT_EQ(bpf_program__insns(p)[1].code, 0x95) << "exit";
  }
  ASSERT_EQ(seen.size(), progs.size());
  for (const auto& want : progs) {
    const bool found = std::any_of(seen.begin(), seen.end(), [&](const auto& s) {
      return s.name == want.name && s.section == want.section;
    });
    EXPECT_TRUE(found) << want.name << " in " << want.section;
  }
  bpf_object__close(obj);
}

std::set<uint32_t> object_prog_ids() {
  std::set<uint32_t> ids;
  uint32_t id = 0;
  while (bpf_prog_get_next_id(id, &id) == 0) {
    const int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0) continue;
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && std::string(info.name) == "on_write") ids.insert(id);
    close(fd);
  }
  return ids;
}

bool gone(const std::set<uint32_t>& before) {
  for (int i = 0; i < 300; ++i) {
    bool any = false;
    for (uint32_t id : object_prog_ids()) any = any || !before.count(id);
    if (!any) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

// The interface: trace --pid PID --bpf-object FILE --ring rb --rodata target_tgid=PID
// --ready-file F --out DIR, then results.json's summary.events.received; nothing left behind.
void trace_lifecycle(int signal_to_send) {
  RINGSIDE_REQUIRE_BPF();
  const auto before = object_prog_ids();
  Proc target = spawn({"/bin/sh", "-c", "while :; do echo x; done > /dev/null"});
  const std::string out = temp_dir("obj-trace" + std::to_string(signal_to_send));
  const std::string pid = std::to_string(target.pid);
  Proc tr = spawn({bin("ringside"), "trace", "--pid", pid, "--bpf-object", object("rb_emitter"), "--ring", "rb",
                   "--rodata", "target_tgid=" + pid, "--ready-file", out + "/ready", "--out", out, "--duration",
                   signal_to_send ? "60" : "1"});
  ASSERT_TRUE(wait_for_file(out + "/ready", 30s)) << tr.err();
  std::this_thread::sleep_for(300ms);
  if (signal_to_send) kill(tr.pid, signal_to_send);
  const int code = tr.wait_exit();
  kill(target.pid, SIGKILL);
  target.wait_exit();
  EXPECT_TRUE(gone(before)) << "the object's programs stayed loaded";
  if (signal_to_send == SIGKILL) {
    EXPECT_EQ(code, 128 + SIGKILL);
    return;
  }
  EXPECT_EQ(code, 0) << tr.err();
  const json r = read_results(out);
  const json& e = r["summary"]["events"];
  EXPECT_GT(e["received"].get<uint64_t>(), 100u) << "the shell's writes arrive";
  EXPECT_EQ(e["dropped_total"].get<uint64_t>(), drops_of(e));
  EXPECT_TRUE(e["conserved"].is_null()) << "trace has nothing to check an object's count against";
}

TEST(BpfObjectTrace, InterfaceAndNothingLeftAfterNormalEnd) { trace_lifecycle(0); }
TEST(BpfObjectTrace, NothingLeftAfterCtrlC) { trace_lifecycle(SIGINT); }
TEST(BpfObjectTrace, NothingLeftAfterSigkill) { trace_lifecycle(SIGKILL); }

}  // namespace
