#include "syscall_tap_loader.h"

#include <bpf/bpf.h>
#include <fmt/format.h>

#include <cerrno>
#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "cli.h"
#include "syscall_names.h"
#include "syscall_tap.skel.h"

namespace ringside {
namespace {

std::string err_text(int err) {
  err = err < 0 ? -err : err;
  std::string s = std::strerror(err);
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (err == EPERM || err == EACCES) s += " (needs CAP_BPF and CAP_PERFMON, or root)";
  return s;
}

int libbpf_print(enum libbpf_print_level level, const char* format, va_list args) {
  static const bool debug = std::getenv("RINGSIDE_DEBUG") != nullptr;
  if (level == LIBBPF_DEBUG && !debug) return 0;
  if (level == LIBBPF_INFO && !debug) return 0;
  std::fputs("libbpf: ", stderr);
  return std::vfprintf(stderr, format, args);
}

uint32_t pow2_at_least(uint64_t v) {
  uint64_t p = 4096;
  while (p < v) p <<= 1;
  return static_cast<uint32_t>(p);
}

}  // namespace

void install_libbpf_logging() { libbpf_set_print(libbpf_print); }

WakeupPolicy wakeup_or_throw(const std::string& text) {
  auto w = parse_wakeup(text);
  if (!w) throw UsageError("bad --wakeup '" + text + "': expected every, adaptive or batch:N (N in 1..1000000)");
  return *w;
}

std::string wakeup_label(const WakeupPolicy& w) {
  switch (w.kind) {
    case WakeupPolicy::every: return "every";
    case WakeupPolicy::adaptive: return "adaptive";
    case WakeupPolicy::batch: return fmt::format("batch:{}", w.batch_size);
  }
  return "?";
}

SyscallTap::SyscallTap(TapConfig config) : config_(std::move(config)) {
  skel_ = syscall_tap::open();
  if (!skel_) throw std::runtime_error("failed to open syscall_tap: " + err_text(errno));
  auto* ro = skel_->rodata;
  const bool perfbuf = config_.transport == "perfbuf";
  ro->transport = perfbuf ? RS_TRANSPORT_PERFBUF : RS_TRANSPORT_RINGBUF;
  ro->wakeup = config_.wakeup.kind == WakeupPolicy::every   ? RS_WAKEUP_EVERY
               : config_.wakeup.kind == WakeupPolicy::batch ? RS_WAKEUP_BATCH
                                                            : RS_WAKEUP_ADAPTIVE;
  ro->wakeup_batch_bytes = uint64_t{config_.wakeup.batch_size} * sizeof(rs_event);
  ro->filter_targets = config_.filter_targets ? 1 : 0;
  for (int nr : config_.syscalls)
    if (nr >= 0 && nr < RS_MAX_SYSCALLS) ro->want_nr[nr] = 1;

  // One map name, two transports: retype for the perf buffer (libbpf-tools' compat approach).
  if (perfbuf) {
    bpf_map__set_type(skel_->maps.events, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
    bpf_map__set_key_size(skel_->maps.events, sizeof(int));
    bpf_map__set_value_size(skel_->maps.events, sizeof(int));
    bpf_map__set_max_entries(skel_->maps.events, 0);  // libbpf sizes it to the possible CPUs
  } else {
    bpf_map__set_max_entries(skel_->maps.events, pow2_at_least(config_.ring_bytes));
  }

  // Load only the programs this hook needs (the others are switched off, not failed).
  bpf_program* all[] = {skel_->progs.tap_raw, skel_->progs.tap_tp, skel_->progs.tap_floor, skel_->progs.follow_fork,
                        skel_->progs.follow_exit};
  for (bpf_program* p : all) bpf_program__set_autoload(p, false);
  if (config_.hook == "raw_tp")
    active_.push_back(skel_->progs.tap_raw);
  else if (config_.hook == "tracepoint")
    active_.push_back(skel_->progs.tap_tp);
  else if (config_.hook == "floor")
    active_.push_back(skel_->progs.tap_floor);
  else
    throw UsageError("bad hook '" + config_.hook + "': expected raw_tp, tracepoint or floor");
  if (config_.follow_children && config_.hook != "floor") {
    active_.push_back(skel_->progs.follow_fork);
    active_.push_back(skel_->progs.follow_exit);
  }
  for (bpf_program* p : active_) bpf_program__set_autoload(p, true);

  int err = syscall_tap::load(skel_);
  if (err) {
    syscall_tap::destroy(skel_);
    skel_ = nullptr;
    throw std::runtime_error("failed to load syscall_tap: " + err_text(err));
  }
}

SyscallTap::~SyscallTap() {
  detach();
  if (skel_) syscall_tap::destroy(skel_);
}

void SyscallTap::add_target(uint32_t tgid) {
  uint8_t kind = RS_TARGET_EXPLICIT;
  if (bpf_map__update_elem(skel_->maps.targets, &tgid, sizeof(tgid), &kind, sizeof(kind), BPF_ANY))
    throw std::runtime_error(fmt::format("failed to add target {}: {}", tgid, err_text(errno)));
}

void SyscallTap::attach() {
  auto add = [&](bpf_link* link, const std::string& what) {
    if (!link) {
      int err = errno;
      detach();
      throw std::runtime_error("failed to attach " + what + ": " + err_text(err));
    }
    links_.push_back(link);
  };
  for (bpf_program* p : active_) {
    if (p == skel_->progs.tap_tp) {
      // one program, attached to the syscalls:sys_enter_<name> tracepoint of each syscall
      for (int nr : config_.syscalls) {
        std::string tp = "sys_enter_" + syscall_name(nr);
        add(bpf_program__attach_tracepoint(p, "syscalls", tp.c_str()), "syscalls:" + tp);
      }
    } else {
      add(bpf_program__attach(p), bpf_program__section_name(p));
    }
  }
}

void SyscallTap::detach() {
  for (bpf_link* l : links_) bpf_link__destroy(l);
  links_.clear();
}

void SyscallTap::set_sample_every(uint32_t n) {
  // .data is mmap'ed: the BPF program sees the new value on its next run
  __atomic_store_n(&skel_->data->sample_every, n < 1 ? 1 : n, __ATOMIC_RELEASE);
}

uint32_t SyscallTap::sample_every() const { return __atomic_load_n(&skel_->data->sample_every, __ATOMIC_ACQUIRE); }

TapCounters SyscallTap::read_counters() const {
  const int ncpu = libbpf_num_possible_cpus();
  std::vector<rs_counters> per_cpu(static_cast<size_t>(ncpu > 0 ? ncpu : 1));
  uint32_t zero = 0;
  TapCounters t;
  if (bpf_map__lookup_elem(skel_->maps.counters, &zero, sizeof(zero), per_cpu.data(),
                           per_cpu.size() * sizeof(rs_counters), 0))
    throw std::runtime_error("failed to read counters: " + err_text(errno));
  for (const auto& c : per_cpu) {
    t.matched += c.c[RS_CNT_MATCHED];
    t.emitted += c.c[RS_CNT_EMITTED];
    t.kernel_reserve += c.c[RS_CNT_KERNEL_RESERVE];
    t.perf_output += c.c[RS_CNT_PERF_OUTPUT];
    t.sampled_out += c.c[RS_CNT_SAMPLED_OUT];
  }
  return t;
}

std::vector<ProgRuntime> SyscallTap::prog_runtime() const {
  std::vector<ProgRuntime> out;
  for (bpf_program* p : active_) {
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len)) continue;
    out.push_back({info.id, bpf_program__name(p), info.run_time_ns, info.run_cnt});
  }
  return out;
}

int SyscallTap::events_map_fd() const { return bpf_map__fd(skel_->maps.events); }

}  // namespace ringside
