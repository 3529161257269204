// Helpers for the integration tests: run the built binaries, read results, check BPF is usable.
#pragma once

#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "capability_probe.h"

namespace ringside::test {

inline std::string bin(const std::string& name) { return std::string(RINGSIDE_BINARY_DIR) + "/" + name; }

struct Proc {
  pid_t pid = -1;
  std::string out_path, err_path;
  int wait_exit() {
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    pid = -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  std::string out() const { return slurp(out_path); }
  std::string err() const { return slurp(err_path); }
  static std::string slurp(const std::string& p) {
    std::ifstream f(p);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }
};

// Starts argv with stdout/stderr to temp files. `pre_exec` runs in the child before exec.
inline Proc spawn(const std::vector<std::string>& argv, void (*pre_exec)() = nullptr) {
  static int seq = 0;
  Proc p;
  const auto dir = std::filesystem::temp_directory_path();
  p.out_path = (dir / ("rs-test-" + std::to_string(getpid()) + "-" + std::to_string(++seq) + ".out")).string();
  p.err_path = p.out_path + ".err";
  p.pid = fork();
  if (p.pid == 0) {
    freopen(p.out_path.c_str(), "w", stdout);
    freopen(p.err_path.c_str(), "w", stderr);
    if (pre_exec) pre_exec();
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return p;
}

inline Proc run(const std::vector<std::string>& argv, int* exit_code) {
  Proc p = spawn(argv);
  *exit_code = p.wait_exit();
  return p;
}

inline nlohmann::json read_results(const std::string& dir) {
  std::ifstream f(dir + "/results.json");
  return nlohmann::json::parse(f);
}

inline std::string temp_dir(const std::string& tag) {
  auto d = std::filesystem::temp_directory_path() / ("rs-" + tag + "-" + std::to_string(getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d.string();
}

inline bool wait_for_file(const std::string& path, std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (std::filesystem::exists(path)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// Loaded programs whose names are ringside's.
inline std::set<uint32_t> ringside_prog_ids() {
  std::set<uint32_t> ids;
  uint32_t id = 0;
  while (bpf_prog_get_next_id(id, &id) == 0) {
    int fd = bpf_prog_get_fd_by_id(id);
    if (fd < 0) continue;
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
      std::string name = info.name;
      if (name == "tap_raw" || name == "tap_tp" || name == "rs_follow_fork" || name == "rs_follow_exit")
        ids.insert(id);
    }
    close(fd);
  }
  return ids;
}

// Runs `ringside <args>` and expects exit 2 with exactly one stderr line "ringside: …needle…".
inline void expect_usage_error(const std::vector<std::string>& args, const std::string& needle) {
  std::vector<std::string> argv = {bin("ringside")};
  argv.insert(argv.end(), args.begin(), args.end());
  int code = 0;
  Proc p = run(argv, &code);
  EXPECT_EQ(code, 2) << p.err();
  const std::string err = p.err();
  EXPECT_EQ(err.rfind("ringside: ", 0), 0u) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << "one line: " << err;
  EXPECT_NE(err.find(needle), std::string::npos) << err;
}

// Skips the calling test (with the reason) when this machine cannot load BPF.
#define RINGSIDE_REQUIRE_BPF()                                                                  \
  do {                                                                                          \
    static const ::ringside::ProbeReport probe_ = ::ringside::probe_host();                     \
    try {                                                                                       \
      ::ringside::require_bpf(probe_, ::ringside::Transport::ringbuf);                                               \
    } catch (const std::exception& e) {                                                         \
      GTEST_SKIP() << "BPF unavailable: " << e.what();                                           \
    }                                                                                           \
  } while (0)

}  // namespace ringside::test
