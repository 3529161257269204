#include "privileges.h"

#include <bpf/bpf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "capability_probe.h"

namespace ringside {
namespace {

std::string& dropped_text() {
  static std::string s;
  return s;
}

bool set_caps(unsigned long long effective, unsigned long long permitted) {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  data[0].effective = static_cast<__u32>(effective);
  data[1].effective = static_cast<__u32>(effective >> 32);
  data[0].permitted = static_cast<__u32>(permitted);
  data[1].permitted = static_cast<__u32>(permitted >> 32);
  return syscall(SYS_capset, &hdr, data) == 0;  // inheritable: 0
}

bool map_readable(int fd) {
  if (fd < 0) return true;
  bpf_map_info info{};
  uint32_t len = sizeof(info);
  return bpf_obj_get_info_by_fd(fd, &info, &len) == 0;
}

unsigned last_cap() {
  std::ifstream in("/proc/sys/kernel/cap_last_cap");
  unsigned n = 40;
  in >> n;
  return n;
}

// Everything not in `keep` leaves the bounding set (needs CAP_SETPCAP, so before capset).
void drop_bounding(unsigned long long keep) {
  for (unsigned cap = 0; cap <= last_cap(); ++cap)
    if (!((keep >> cap) & 1ULL)) prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
}

}  // namespace

std::string drop_capabilities(KeepCaps keep, int probe_map_fd) {
  const unsigned long long before = effective_capabilities();
  unsigned long long mask = 0;
  if (keep == KeepCaps::bpf) mask = (1ULL << kCapBpf) | (1ULL << kCapPerfmon) | (1ULL << kCapSysAdmin);
  mask &= before;
  const unsigned long long bpf_bit = (1ULL << kCapBpf) & before;
  // Some kernels gate every bpf() command on CAP_BPF: try without it (everything else still
  // effective, CAP_SETPCAP among them) while it is still permitted.
  const bool keep_bpf = keep == KeepCaps::none && probe_map_fd >= 0 && [&] {
    if (!set_caps(before & ~bpf_bit, before)) return false;
    return !map_readable(probe_map_fd);
  }();
  if (keep_bpf) mask |= bpf_bit;
  // The bounding set next: dropping from it needs CAP_SETPCAP, which the final capset gives up.
  drop_bounding(mask);
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  if (!set_caps(mask, mask)) {
    dropped_text() = fmt::format("capabilities kept (capset failed: {})", std::strerror(errno));
    return dropped_text();
  }
  dropped_text() = fmt::format("capabilities: effective {:#x} (was {:#x}) in every thread; bounding and ambient "
                               "sets to the same; no-new-privs{}",
                               effective_capabilities(), before,
                               keep_bpf ? "; CAP_BPF kept: this kernel refuses bpf() map access without it" : "");
  return dropped_text();
}

int access_without_dac_override(int dirfd, int mode) {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct saved[2]{};
  const auto check = [&] { return ::faccessat(dirfd, ".", mode, AT_EACCESS) == 0 ? 0 : errno; };
  if (syscall(SYS_capget, &hdr, saved) != 0) return check();
  constexpr __u32 kOverride = (1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH) | (1u << CAP_FOWNER);
  if ((saved[0].effective & kOverride) == 0) return check();
  __user_cap_data_struct lowered[2] = {saved[0], saved[1]};
  lowered[0].effective &= ~kOverride;
  if (syscall(SYS_capset, &hdr, lowered) != 0) return check();
  const int err = check();
  syscall(SYS_capset, &hdr, saved);
  return err;
}

const std::string& capabilities_dropped() { return dropped_text(); }

std::string thread_capabilities() {
  std::string out;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream in(task.path() / "status");
    for (std::string line; std::getline(in, line);)
      if (line.rfind("CapEff:", 0) == 0) {
        std::string hex = line.substr(7);
        hex.erase(0, hex.find_first_not_of(" \t"));
        out += (out.empty() ? "" : " ") + task.path().filename().string() + ":" + hex;
      }
  }
  return out;
}

}  // namespace ringside
