// Writing record fields as JSON members for the --sink, shared by the programs' formatters.
#pragma once

#include <cstdint>
#include <string>

namespace ringside {

// `n` bytes of `s` as a JSON string: quotes, backslashes and non-printable bytes escaped.
void append_json_string(const char* s, uint32_t n, std::string& out);

}  // namespace ringside
