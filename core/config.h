// The YAML config file (shaped after the agent config: agent.ebpf.*, agent.pipeline.*, run.*)
// and validation of RunOptions by config key.
#pragma once

#include <string>
#include <vector>

#include "options.h"

namespace ringside {

// Reads `path` and overwrites the fields of `into` whose keys the file sets; the rest keep their
// values. Each value is type- and range-checked as it is read. Throws UsageError (cli.h) with one
// line: "config F: agent.ebpf.governor.window_ms: expected an integer ≥ 50, got 'abc'",
// "config F: unknown key agent.ebpf.governr", "config F: line 3, column 9: <yaml-cpp message>",
// "config F: cannot read: no such file or directory".
void load_config_file(const std::string& path, RunOptions& into);

// Checks every field (ranges, enums, wakeup and degrade syntax); call it after flags override the
// file. Throws UsageError naming the config key: "run.threads: expected an integer in 1..256, got 0".
void validate(const RunOptions& options);

// Every leaf config key, dotted ("agent.ebpf.governor.window_ms"), in file order.
[[nodiscard]] std::vector<std::string> config_keys();

}  // namespace ringside
