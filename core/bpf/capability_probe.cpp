#include "capability_probe.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "usage_error.h"

namespace ringside {
namespace {

constexpr long kTracefsMagic = 0x74726163;
constexpr long kBpffsMagic = 0xcafe4a11;

std::string errno_text(int err) { return fmt::format("errno {}: {}", err, std::strerror(err)); }

Feature probe_prog(const char* name, bpf_prog_type type) {
  int r = libbpf_probe_bpf_prog_type(type, nullptr);
  if (r == 1) return {name, true, "loads"};
  return {name, false, r == 0 ? "not supported by this kernel" : errno_text(-r)};
}

Feature probe_map(const char* name, bpf_map_type type) {
  int r = libbpf_probe_bpf_map_type(type, nullptr);
  if (r == 1) return {name, true, "creates"};
  return {name, false, r == 0 ? "not supported by this kernel" : errno_text(-r)};
}

// fentry needs BTF_KIND_FUNC of a kernel function and the `tracing` program type: try a load.
Feature probe_fentry() {
  btf* vmlinux = btf__load_vmlinux_btf();
  if (!vmlinux) return {"prog:tracing", false, "no vmlinux BTF"};
  int id = btf__find_by_name_kind(vmlinux, "bpf_fentry_test1", BTF_KIND_FUNC);
  btf__free(vmlinux);
  if (id < 0) return {"prog:tracing", false, "bpf_fentry_test1 not in BTF"};
  const bpf_insn insns[] = {{BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0}, {BPF_JMP | BPF_EXIT, 0, 0, 0, 0}};
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY,
              .attach_btf_id = static_cast<__u32>(id));
  int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "rs_probe", "GPL", insns, 2, &opts);
  if (fd < 0) return {"prog:tracing", false, "load failed: " + errno_text(errno)};
  int link = bpf_raw_tracepoint_open(nullptr, fd);
  int err = errno;
  close(fd);
  if (link < 0) return {"prog:tracing", false, "attach failed: " + errno_text(err)};
  close(link);
  return {"prog:tracing", true, "fentry loads and attaches"};
}

// kprobes attach through the kprobe PMU (or legacy tracefs kprobe_events).
Feature probe_kprobe_attach() {
  Feature f = probe_prog("prog:kprobe", BPF_PROG_TYPE_KPROBE);
  if (!f.ok) return f;
  std::ifstream pmu("/sys/bus/event_source/devices/kprobe/type");
  if (pmu.good()) return {"prog:kprobe", true, "loads; kprobe PMU present"};
  if (access("/sys/kernel/tracing/kprobe_events", W_OK) == 0) return {"prog:kprobe", true, "loads; legacy kprobe_events"};
  return {"prog:kprobe", false, "program type loads but there is no kprobe PMU to attach it"};
}

Feature probe_perf_counter(const char* name, __u32 type, __u64 config) {
  perf_event_attr attr{};
  attr.size = sizeof(attr);
  attr.type = type;
  attr.config = config;
  attr.disabled = 1;
  attr.exclude_kernel = 0;
  int fd = static_cast<int>(syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
  if (fd < 0) return {name, false, errno_text(errno)};
  close(fd);
  return {name, true, "opens"};
}

Feature probe_stats() {
  int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
  if (fd < 0) return {"bpf_stats", false, errno_text(errno)};
  close(fd);
  return {"bpf_stats", true, "BPF_ENABLE_STATS run_time"};
}

Feature fs_feature(const char* name, const char* path, long magic) {
  struct statfs st {};
  if (statfs(path, &st) == 0 && st.f_type == magic) return {name, true, std::string("mounted at ") + path};
  return {name, false, std::string("not mounted at ") + path};
}

Feature cap_feature(const char* name, int bit, unsigned long long eff) {
  bool ok = (eff >> bit) & 1ULL;
  return {name, ok, ok ? "effective" : "missing"};
}

}  // namespace

unsigned long long effective_capabilities() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("CapEff:", 0) == 0) return std::stoull(line.substr(7), nullptr, 16);
  return 0;
}

int online_cpus() {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

bool ProbeReport::has(const std::string& name) const {
  const Feature* f = find(name);
  return f && f->ok;
}

const Feature* ProbeReport::find(const std::string& name) const {
  for (const auto& f : features)
    if (f.name == name) return &f;
  return nullptr;
}

ProbeReport probe_host() {
  ProbeReport r;
  utsname u{};
  uname(&u);
  r.kernel = u.release;
  r.version = u.version;
  r.preempt_rt = r.version.find("PREEMPT_RT") != std::string::npos;
  r.cpus = online_cpus();
  const libbpf_print_fn_t previous = libbpf_set_print(nullptr);  // probes fail on purpose: quiet

  bool btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
  r.features.push_back({"btf", btf, btf ? "/sys/kernel/btf/vmlinux" : "/sys/kernel/btf/vmlinux missing"});
  std::ifstream jit("/proc/sys/net/core/bpf_jit_enable");
  int jit_value = -1;
  if (jit >> jit_value)
    r.features.push_back({"jit", jit_value > 0, fmt::format("bpf_jit_enable={}", jit_value)});
  else
    r.features.push_back({"jit", false, "bpf_jit_enable unreadable"});

  r.features.push_back(probe_prog("prog:tracepoint", BPF_PROG_TYPE_TRACEPOINT));
  r.features.push_back(probe_prog("prog:raw_tracepoint", BPF_PROG_TYPE_RAW_TRACEPOINT));
  r.features.push_back(probe_kprobe_attach());
  r.features.push_back(probe_fentry());
  r.features.push_back(probe_prog("prog:perf_event", BPF_PROG_TYPE_PERF_EVENT));
  r.features.push_back(probe_map("map:ringbuf", BPF_MAP_TYPE_RINGBUF));
  r.features.push_back(probe_map("map:perf_event_array", BPF_MAP_TYPE_PERF_EVENT_ARRAY));
  r.features.push_back(probe_stats());

  unsigned long long eff = effective_capabilities();
  r.features.push_back(cap_feature("cap:bpf", kCapBpf, eff));
  r.features.push_back(cap_feature("cap:perfmon", kCapPerfmon, eff));
  r.features.push_back(cap_feature("cap:sys_admin", kCapSysAdmin, eff));
  r.features.push_back(fs_feature("tracefs", "/sys/kernel/tracing", kTracefsMagic));
  r.features.push_back(fs_feature("bpffs", "/sys/fs/bpf", kBpffsMagic));
  r.features.push_back(probe_perf_counter("perf:task_clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK));
  r.features.push_back(probe_perf_counter("perf:hw_cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES));

  libbpf_set_print(previous);
  if (r.has("map:ringbuf"))
    r.recommended_transport = "ringbuf";
  else if (r.has("map:perf_event_array"))
    r.recommended_transport = "perfbuf";
  else
    r.recommended_transport = "none";
  return r;
}

Transport require_bpf(const ProbeReport& probe, Transport transport) {
  bool root_like = probe.has("cap:sys_admin") || (probe.has("cap:bpf") && probe.has("cap:perfmon"));
  if (!root_like) throw UsageError("needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN / root) to load BPF programs");
  if (!probe.has("btf")) throw UsageError("kernel lacks BTF (/sys/kernel/btf/vmlinux): CO-RE programs cannot be relocated");
  if (!probe.has("prog:raw_tracepoint") && !probe.has("prog:tracepoint"))
    throw UsageError("kernel cannot load tracepoint programs: " + probe.find("prog:tracepoint")->detail);
  if (transport == Transport::ringbuf && !probe.has("map:ringbuf")) {
    if (!probe.has("map:perf_event_array")) throw UsageError("kernel has neither ring buffer nor perf buffer");
    fmt::print(stderr, "ringside: kernel lacks BPF ring buffer ({}); falling back to perfbuf\n",
               probe.find("map:ringbuf")->detail);
    return Transport::perfbuf;
  }
  if (transport == Transport::perfbuf && !probe.has("map:perf_event_array"))
    throw UsageError("kernel lacks perf_event_array maps: " + probe.find("map:perf_event_array")->detail);
  return transport;
}

void ensure_kernel_filesystems(bool quiet) {
  struct Mount {
    const char* path;
    const char* type;
    long magic;
  };
  for (const Mount& m : {Mount{"/sys/kernel/tracing", "tracefs", kTracefsMagic}, Mount{"/sys/fs/bpf", "bpf", kBpffsMagic}}) {
    struct statfs st {};
    if (statfs(m.path, &st) == 0 && st.f_type == m.magic) continue;
    if (mount(m.type, m.path, m.type, 0, nullptr) == 0) {
      if (!quiet) fmt::print(stderr, "ringside: mounted {} at {}\n", m.type, m.path);
    } else if (!quiet) {
      fmt::print(stderr, "ringside: could not mount {} at {}: {}\n", m.type, m.path, std::strerror(errno));
    }
  }
}

}  // namespace ringside
