// Finding functions to attach uprobes to: PATH:SYMBOL checked against the ELF before libbpf
// tries (so a typo is one clear line, not a libbpf error), and a library a process maps.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace ringside {

struct FunctionTarget {
  std::string path, symbol;
};

// "PATH:SYMBOL" (split at the last ':'); the reason when either part is missing.
std::optional<FunctionTarget> parse_function_target(std::string_view text, std::string* why);

// Throws UsageError when `t.path` is not a readable ELF file or has no function `t.symbol` in its
// .symtab or .dynsym ("…: no such file or directory", "…: not an ELF file", "…: no function
// 'x' in its symbol tables", "…: stripped (no .symtab) and 'x' is not in .dynsym").
void check_function_target(const FunctionTarget& t);

// The path, as `pid` sees it, of the first mapped file whose name starts with `prefix`
// ("libc.so"), from /proc/PID/maps, through /proc/PID/root (so it resolves in the process's own
// mount namespace). nullopt when it maps none.
std::optional<std::string> mapped_library(pid_t pid, std::string_view prefix);

}  // namespace ringside
