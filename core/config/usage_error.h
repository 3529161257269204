// Bad input or an unusable environment: main prints "ringside: <what>" (one line) and exits 2.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace ringside {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // the measured thing failed (not conserved, regression, ...)
inline constexpr int kExitUsage = 2;   // usage or environment error

// `text` with its control characters escaped (\n, \r, \t, \xNN): errors quote what a file or a
// flag held, and a newline there must neither split the one-line error nor a terminal escape
// sequence reach the terminal.
inline std::string one_line(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) out += {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
    else out += ch;
  }
  return out;
}

struct UsageError : std::runtime_error {
  explicit UsageError(std::string_view what) : std::runtime_error(one_line(what)) {}
};

}  // namespace ringside
