// Subcommand registry: each cmd_<name>.cpp adds itself to the root CLI11 app.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "usage_error.h"

namespace ringside {

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
Subcommand register_history(CLI::App& root);

}  // namespace ringside
