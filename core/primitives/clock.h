// The one clock every stage timestamp uses: CLOCK_MONOTONIC == bpf_ktime_get_ns().
#pragma once

#include <cstdint>
#include <ctime>

namespace ringside {

inline uint64_t now_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

inline uint64_t cpu_clock_ns(clockid_t id) noexcept {
  timespec ts;
  if (clock_gettime(id, &ts) != 0) return 0;
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

inline uint64_t process_cpu_ns() noexcept { return cpu_clock_ns(CLOCK_PROCESS_CPUTIME_ID); }

}  // namespace ringside
