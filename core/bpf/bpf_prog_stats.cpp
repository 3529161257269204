// BPF program enumeration, ownership and run-time stats; see bpf_prog_stats.h.
#include "bpf_prog_stats.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

#include "usage_error.h"

namespace ringside {
namespace {

// Closes an fd on scope exit.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

// The kernel keeps 15 chars of a program's name; its BTF (when it was loaded with func info, as
// libbpf does) has the whole function name. Same approach as bpftool's.
std::string full_prog_name(int fd, const bpf_prog_info& info) {
  std::string name(info.name, strnlen(info.name, sizeof(info.name)));
  if (name.size() < sizeof(info.name) - 1 || info.btf_id == 0 || info.nr_func_info == 0) return name;
  bpf_func_info func{};
  bpf_prog_info one{};
  one.nr_func_info = 1;
  one.func_info_rec_size = sizeof(func);
  one.func_info = reinterpret_cast<uint64_t>(&func);
  uint32_t len = sizeof(one);
  if (bpf_obj_get_info_by_fd(fd, &one, &len) != 0) return name;
  btf* types = btf__load_from_kernel_by_id(info.btf_id);
  if (!types) return name;
  const btf_type* t = btf__type_by_id(types, func.type_id);
  const char* full = t ? btf__name_by_offset(types, t->name_off) : nullptr;
  std::string result = full && std::string_view(full).starts_with(name) ? full : name;
  btf__free(types);
  return result;
}

std::string prog_type_name(uint32_t type) {
  const char* name = libbpf_bpf_prog_type_str(static_cast<enum bpf_prog_type>(type));
  return name ? name : fmt::format("type_{}", type);
}

}  // namespace

std::vector<uint32_t> list_prog_ids() {
  std::vector<uint32_t> ids;
  uint32_t id = 0;
  while (bpf_prog_get_next_id(id, &id) == 0) ids.push_back(id);
  return ids;
}

std::optional<ProgStats> read_prog_stats(uint32_t id) {
  const int fd = bpf_prog_get_fd_by_id(id);
  if (fd < 0) return std::nullopt;
  FdCloser closer{fd};
  bpf_prog_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) return std::nullopt;
  ProgStats stats;
  stats.id = info.id;
  stats.name = full_prog_name(fd, info);
  stats.type = prog_type_name(info.type);
  stats.run_time_ns = info.run_time_ns;
  stats.run_cnt = info.run_cnt;
  return stats;
}

std::set<uint32_t> prog_ids_owned_by(const std::vector<pid_t>& pids) {
  namespace fs = std::filesystem;
  std::set<uint32_t> owned;
  for (pid_t pid : pids) {
    std::error_code ec;
    fs::directory_iterator dir(fmt::format("/proc/{}/fdinfo", pid), ec);
    if (ec) continue;  // exited or not ours to read
    for (const auto& entry : dir) {
      std::ifstream in(entry.path());
      std::string line;
      while (std::getline(in, line)) {
        // "prog_id:\t42" (program and link fds); never "prog_id:" inside other keys.
        if (line.rfind("prog_id:", 0) != 0) continue;
        try {
          owned.insert(static_cast<uint32_t>(std::stoul(line.substr(8))));
        } catch (const std::exception&) {
          // a malformed line is not an owner
        }
      }
    }
  }
  return owned;
}

ProgStats prog_stats_delta(const ProgStats& before, const ProgStats& after) {
  ProgStats delta = after;
  if (before.id != after.id || after.run_cnt < before.run_cnt || after.run_time_ns < before.run_time_ns)
    return delta;
  delta.run_cnt = after.run_cnt - before.run_cnt;
  delta.run_time_ns = after.run_time_ns - before.run_time_ns;
  return delta;
}

bool bpf_stats_sysctl_on() {
  std::ifstream sysctl("/proc/sys/kernel/bpf_stats_enabled");
  int enabled = 0;
  return sysctl >> enabled && enabled == 1;
}

BpfStats acquire_bpf_stats() {
  try {
    return {std::make_shared<BpfStatsGuard>(), "BPF_ENABLE_STATS"};
  } catch (const std::runtime_error& e) {
    if (bpf_stats_sysctl_on()) return {nullptr, "sysctl kernel.bpf_stats_enabled=1"};
    throw UsageError(fmt::format("BPF run-time stats need CAP_SYS_ADMIN for BPF_ENABLE_STATS, or "
                                 "kernel.bpf_stats_enabled=1 (sysctl -w kernel.bpf_stats_enabled=1): without them "
                                 "the kernel's share of the cost cannot be measured ({})",
                                 e.what()));
  }
}

BpfStatsGuard::BpfStatsGuard() : fd_(bpf_enable_stats(BPF_STATS_RUN_TIME)) {
  if (fd_ < 0) {
    const int err = fd_ == -1 ? errno : -fd_;
    fd_ = -1;
    throw std::runtime_error(
        fmt::format("failed to enable bpf run-time stats: {} (needs CAP_SYS_ADMIN)", std::strerror(err)));
  }
}

BpfStatsGuard::~BpfStatsGuard() {
  if (fd_ >= 0) ::close(fd_);
}

BpfStatsGuard::BpfStatsGuard(BpfStatsGuard&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

BpfStatsGuard& BpfStatsGuard::operator=(BpfStatsGuard&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

}  // namespace ringside
