#include "record_json.h"

#include <fmt/format.h>

namespace ringside {

void append_json_string(const char* s, uint32_t n, std::string& out) {
  out += '"';
  for (uint32_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\')
      out += {'\\', static_cast<char>(c)};
    else if (c < 0x20 || c >= 0x7f)
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
    else
      out += static_cast<char>(c);
  }
  out += '"';
}

}  // namespace ringside
