// Command-line flags for RunOptions, resolved as: defaults <- --config file <- flags given.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "options.h"
#include "trace_session.h"

namespace ringside {

class OptionFlags {
 public:
  void add_config(CLI::App* app);
  void add_pipeline(CLI::App* app);  // transport, wakeup, hook, workers, queues, pool, pin, sink, ...
  void add_governor(CLI::App* app);  // budget enforcement flags
  void add_workload(CLI::App* app);  // workload, rate, threads, duration, repeat, budget
  void add_out(CLI::App* app, const std::string& default_out);
  // Defaults, then the config file (if any), then every flag the user actually gave; validated.
  [[nodiscard]] RunOptions resolve() const;
  // The same without validate(): for commands that take lists (run --wakeup every,batch:64).
  [[nodiscard]] RunOptions resolve_unvalidated() const;
  [[nodiscard]] bool given(const std::string& flag) const;

 private:
  template <typename T>
  void bind(CLI::App* app, const std::string& flag, T RunOptions::*field, const std::string& help);
  template <typename T>
  void bind_pipe(CLI::App* app, const std::string& flag, T PipelineOptions::*field, const std::string& help);

  std::shared_ptr<RunOptions> values_ = std::make_shared<RunOptions>();  // what CLI11 writes into
  std::string config_path_;
  std::vector<std::pair<CLI::Option*, std::function<void(RunOptions&, const RunOptions&)>>> appliers_;
};

// Workers when `workers` is 0: one per spare CPU (online CPUs - 1, at least 1, at most 8).
uint32_t default_workers(uint32_t workers);

// The session a set of options describes, for the given syscall numbers.
SessionConfig session_config(const RunOptions& o, std::vector<int> syscalls, bool follow_children);

}  // namespace ringside
