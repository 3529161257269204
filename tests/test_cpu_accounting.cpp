// The pipeline's CPU accounting agrees with independent readings: the kernel's per-process
// utime+stime (/proc/self/stat) for the userspace threads, and run_cnt for the BPF side.
#include <unistd.h>

#include <fstream>

#include "phases.h"
#include "syscall_names.h"
#include "test_support.h"
#include "trace_session.h"
#include "workload_process.h"

using namespace ringside;
using namespace ringside::test;

namespace {

// utime + stime of this process in ns, from /proc (clock-tick resolution).
uint64_t proc_stat_cpu_ns() {
  std::ifstream f("/proc/self/stat");
  std::string s((std::istreambuf_iterator<char>(f)), {});
  std::istringstream rest(s.substr(s.rfind(')') + 2));
  std::string field;
  uint64_t utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return (utime + stime) * (1'000'000'000ull / static_cast<uint64_t>(sysconf(_SC_CLK_TCK)));
}

TEST(CpuAccounting, PipelineThreadsMatchProcStat) {
  RINGSIDE_REQUIRE_BPF();
  RunOptions o;
  o.pipeline.wakeup = *parse_wakeup("every");  // plenty of consumer CPU to measure
  SessionConfig cfg = session_config(o, parse_syscall_list({"write"}), false);
  WorkloadSpec spec;
  spec.kind = WorkloadKind::write;
  spec.duration_s = 3;
  auto child = WorkloadProcess::spawn(spec, bin("ringside-workload"));
  TraceSession session(cfg);
  session.add_target(static_cast<uint32_t>(child.pid()));
  const uint64_t proc_before = proc_stat_cpu_ns();
  session.start();
  child.go();
  WorkloadResult truth = child.wait();
  session.stop();
  const uint64_t proc_after = proc_stat_cpu_ns();
  SessionReport rep = session.report();
  const double accounted = static_cast<double>(rep.total.consumer_ns + rep.total.workers_ns);
  const double independent = static_cast<double>(proc_after - proc_before);
  ASSERT_GT(independent, 100e6) << "need enough CPU to compare (≥ 100 ms)";
  // Tolerance: 10 % plus 30 ms for the main thread's own work (loading, joining) and tick rounding.
  EXPECT_NEAR(accounted, independent, 0.10 * independent + 30e6)
      << "accounted consumer+workers " << accounted / 1e6 << " ms vs /proc/self/stat " << independent / 1e6 << " ms";
  // BPF: every matched syscall was one program run (plus other processes' syscalls filtered out).
  EXPECT_GE(rep.total.bpf_runs, rep.total.kernel.matched);
  EXPECT_GT(rep.total.bpf_ns, 0u);
  EXPECT_EQ(rep.total.kernel.matched, truth.ops);
}

}  // namespace
