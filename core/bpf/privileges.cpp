#include "privileges.h"

#include <bpf/bpf.h>
#include <fmt/format.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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
  return syscall(SYS_capset, &hdr, data) == 0;
}

bool map_readable(int fd) {
  if (fd < 0) return true;
  bpf_map_info info{};
  uint32_t len = sizeof(info);
  return bpf_obj_get_info_by_fd(fd, &info, &len) == 0;
}

}  // namespace

std::string drop_capabilities_after_attach(KeepCaps keep, int probe_map_fd) {
  const unsigned long long before = effective_capabilities();
  unsigned long long mask = 0;
  if (keep == KeepCaps::bpf) mask = (1ULL << kCapBpf) | (1ULL << kCapPerfmon) | (1ULL << kCapSysAdmin);
  mask &= before;
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  // Try without CAP_BPF in the effective set while it is still permitted: some kernels gate
  // every bpf() command on it, and then it must stay.
  const unsigned long long bpf_bit = (1ULL << kCapBpf) & before;
  if (!set_caps(mask & ~bpf_bit, mask | bpf_bit)) {
    dropped_text() = fmt::format("capabilities kept (capset failed: {})", std::strerror(errno));
    return dropped_text();
  }
  std::string note;
  if (map_readable(probe_map_fd)) {
    set_caps(mask, mask);
  } else {
    set_caps(mask | bpf_bit, mask | bpf_bit);
    note = "; CAP_BPF kept: this kernel refuses bpf() map access without it";
  }
  dropped_text() = fmt::format("capabilities after attach: effective {:#x} (was {:#x}){}", effective_capabilities(),
                               before, note);
  return dropped_text();
}

const std::string& capabilities_dropped() { return dropped_text(); }

}  // namespace ringside
