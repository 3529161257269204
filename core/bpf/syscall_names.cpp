#include "syscall_names.h"

#include <algorithm>
#include <array>
#include <utility>

#include "usage_error.h"

namespace ringside {
namespace {

struct Entry {
  std::string_view name;
  int nr;
};

constexpr Entry kTable[] = {
#include "syscall_table.inc"
};

}  // namespace

std::optional<int> syscall_number(std::string_view name) {
  for (const auto& e : kTable)
    if (e.name == name) return e.nr;
  return std::nullopt;
}

std::string syscall_name(int nr) {
  for (const auto& e : kTable)
    if (e.nr == nr) return std::string(e.name);
  return "sys_" + std::to_string(nr);
}

std::vector<int> parse_syscall_list(const std::vector<std::string>& names) {
  if (names.empty()) throw UsageError("no syscalls given");
  std::vector<int> out;
  for (const auto& n : names) {
    auto nr = syscall_number(n);
    if (!nr) throw UsageError("unknown syscall '" + n + "' (x86_64 names, e.g. write,openat)");
    if (std::find(out.begin(), out.end(), *nr) == out.end()) out.push_back(*nr);
  }
  return out;
}

std::vector<int> all_syscalls() {
  std::vector<int> out;
  for (const auto& e : kTable) out.push_back(e.nr);
  return out;
}

}  // namespace ringside
