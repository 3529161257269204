// Subcommand registry: each cmd_<name>.cpp adds itself to the root CLI11 app.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <stdexcept>
#include <string>

namespace ringside {

// Exit codes (DESIGN.md): 0 ok, 1 the measured thing failed, 2 usage or environment error.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

// Thrown for bad input or an unusable environment; main prints "ringside: <what>" and exits 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Subcommand {
  CLI::App* app = nullptr;
  std::function<int()> run;  // called after parsing when `app` was the parsed subcommand
};

Subcommand register_probe(CLI::App& root);
Subcommand register_trace(CLI::App& root);
Subcommand register_run(CLI::App& root);
Subcommand register_sweep(CLI::App& root);
Subcommand register_measure(CLI::App& root);
Subcommand register_gate(CLI::App& root);

}  // namespace ringside
