// The YAML config file, shaped after an agent's config: agent.ebpf.*, agent.pipeline.*, run.*.
#pragma once

#include <string>

#include "options.h"

namespace ringside {

// Reads `path` and overwrites the fields of `into` whose keys the file sets; the rest keep their
// values. Every value goes through its option's parser (option_table.h). Throws UsageError with
// one line: "config F: agent.ebpf.governor.window_ms: expected an integer ≥ 50, got 'abc'",
// "config F: unknown key agent.ebpf.governr", "config F: line 3, column 9: <yaml-cpp message>",
// "config F: cannot read: no such file or directory". Returns the keys the file set.
std::vector<std::string> load_config_file(const std::string& path, RunOptions& into);

}  // namespace ringside
