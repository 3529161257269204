// Every option that is both a flag and a config key, in config-file order: its key, its flag,
// and the one parser both go through. The CLI (core/cli/option_flags.cpp) and the YAML loader
// (config_file.cpp) are two readers of this table.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "options.h"

namespace ringside {

enum class OptionGroup : uint8_t { ebpf, programs, governor, pipeline, workload, out };

struct OptionSpec {
  std::string_view key;     // "agent.pipeline.workers"
  std::string_view flag;    // "--workers"; empty: config file only
  OptionGroup group;
  std::string_view help;    // flag help, defaults included
  std::string_view expect;  // what the value must be, for type errors ("an integer in 0..256")
  bool is_switch = false;   // a boolean the command line sets by naming it
  bool is_list = false;     // a YAML sequence (items joined with ',' before parsing)
  // Parses `text` into the field; the reason when it is not a valid value.
  std::optional<std::string> (*assign)(RunOptions&, std::string_view text) = nullptr;
  // The field as text that `assign` reads back to the same value.
  std::string (*show)(const RunOptions&) = nullptr;
};

const std::vector<OptionSpec>& option_specs();
const OptionSpec* find_option(std::string_view key);

// Assigns `text` to the option; throws UsageError("<context>: <reason>").
void assign_option(const OptionSpec& spec, RunOptions& into, std::string_view text, std::string_view context);

// Checks every field of options built in code: each must read back through its parser.
// Throws UsageError naming the key ("run.threads: expected an integer in 1..256, got '0'").
void validate(const RunOptions& options);

// Every leaf config key, dotted ("agent.ebpf.governor.window_ms"), in file order.
std::vector<std::string> config_keys();

}  // namespace ringside
