// Bad input or an unusable environment: main prints "ringside: <what>" (one line) and exits 2.
#pragma once

#include <stdexcept>

namespace ringside {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // the measured thing failed (not conserved, regression, ...)
inline constexpr int kExitUsage = 2;   // usage or environment error

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace ringside
