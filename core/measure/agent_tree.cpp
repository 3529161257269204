// /proc walking for agent_tree.h: who belongs to an agent and how much CPU it used.
#include "agent_tree.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>

namespace ringside {
namespace {

// The /proc/<pid>/stat fields we use (numbering as in proc(5)).
struct ProcStat {
  pid_t pid = 0;
  char state = '?';          // 3
  pid_t ppid = 0;            // 4
  pid_t pgrp = 0;            // 5
  pid_t session = 0;         // 6
  uint64_t cutime = 0;       // 16, ticks
  uint64_t cstime = 0;       // 17, ticks
  uint64_t start_ticks = 0;  // 22
};

std::optional<ProcStat> read_stat(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string text;
  if (!std::getline(in, text)) return std::nullopt;
  // comm (field 2) may hold spaces and parentheses: the fields resume after the last ')'.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(text.substr(close + 1));
  ProcStat st;
  st.pid = pid;
  std::string field;
  for (int n = 3; n <= 22 && rest >> field; ++n) {
    try {
      switch (n) {
        case 3: st.state = field[0]; break;
        case 4: st.ppid = std::stoi(field); break;
        case 5: st.pgrp = std::stoi(field); break;
        case 6: st.session = std::stoi(field); break;
        case 16: st.cutime = std::stoull(field); break;
        case 17: st.cstime = std::stoull(field); break;
        case 22: st.start_ticks = std::stoull(field); return st;
        default: break;
      }
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::vector<ProcStat> read_all_stats() {
  std::vector<ProcStat> all;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    if (auto st = read_stat(static_cast<pid_t>(std::stol(name)))) all.push_back(*st);
  }
  return all;
}

// CLOCK_PROCESS_CPUTIME of another process (all its threads), or nullopt once it is gone.
std::optional<uint64_t> process_cpu_ns(pid_t pid) {
  clockid_t clock;
  timespec ts{};
  if (clock_getcpuclockid(pid, &clock) != 0 || clock_gettime(clock, &ts) != 0) return std::nullopt;
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t ticks_to_ns(uint64_t ticks) {
  static const uint64_t ns_per_tick = 1'000'000'000ull / static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
  return ticks * ns_per_tick;
}

}  // namespace

std::vector<pid_t> process_tree(pid_t root) {
  const std::vector<ProcStat> all = read_all_stats();
  std::vector<pid_t> tree;
  for (const auto& st : all)
    if (st.pid == root) tree.push_back(root);
  // Orphans reparented away from the tree but still in the agent's session start branches too.
  for (const auto& st : all)
    if (st.session == root && st.pid != root) tree.push_back(st.pid);
  // Breadth-first over ppid links; one /proc scan is small, so linear searches are fine.
  for (std::size_t i = 0; i < tree.size(); ++i)
    for (const auto& st : all)
      if (st.ppid == tree[i] && std::find(tree.begin(), tree.end(), st.pid) == tree.end())
        tree.push_back(st.pid);
  return tree;
}

TreeCpuSample sample_tree_cpu(const std::vector<pid_t>& pids) {
  TreeCpuSample sample;
  for (pid_t pid : pids) {
    const auto before = read_stat(pid);
    const auto own = process_cpu_ns(pid);
    const auto after = read_stat(pid);
    // Only count a reading taken entirely while the same process held the pid.
    if (!before || !own || !after || before->start_ticks != after->start_ticks) continue;
    sample[{pid, after->start_ticks}] = *own + ticks_to_ns(after->cutime + after->cstime);
  }
  return sample;
}

uint64_t tree_cpu_delta_ns(const TreeCpuSample& start, const TreeCpuSample& end) {
  uint64_t total = 0;
  for (const auto& [key, ns] : end) {
    const auto it = start.find(key);
    const uint64_t base = it == start.end() ? 0 : it->second;
    if (ns > base) total += ns - base;
  }
  return total;
}

std::optional<uint64_t> process_start_ticks(pid_t pid) {
  const auto st = read_stat(pid);
  if (!st || st->state == 'Z') return std::nullopt;
  return st->start_ticks;
}

bool process_group_alive(pid_t pgid) {
  for (const auto& st : read_all_stats())
    if (st.pgrp == pgid && st.state != 'Z' && st.state != 'X') return true;
  return false;
}

}  // namespace ringside
