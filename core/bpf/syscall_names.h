// x86_64 syscall name <-> number.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringside {

std::optional<int> syscall_number(std::string_view name);
// "write" for 1; "sys_<nr>" when the number is not in the table.
std::string syscall_name(int nr);
// Parses "write,openat" into numbers; throws UsageError("unknown syscall 'wrte'") on a bad name.
std::vector<int> parse_syscall_list(const std::vector<std::string>& names);
// Every x86_64 syscall number the table names.
std::vector<int> all_syscalls();

}  // namespace ringside
