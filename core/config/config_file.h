// The YAML config file, shaped after an agent's config: agent.ebpf.*, agent.pipeline.*, run.*.
#pragma once

#include <string>

#include "options.h"

namespace ringside {

// Reads `path` and overwrites the fields of `into` whose keys the file sets; the rest keep their
// values. Every value goes through its option's parser (option_table.h). Throws UsageError with
// one line: "config F: agent.ebpf.governor.window_ms: expected an integer ≥ 50, got 'abc'",
// "config F: unknown key agent.ebpf.governr", "config F: line 3, column 9: <yaml-cpp message>",
// "config F: cannot read: no such file or directory".
//
// The file may be a whole agent config: sections ringside does not own (any top-level section
// but `agent` and `run`, any section of `agent` but `ebpf` and `pipeline`) are skipped and
// listed in `ignored`; unknown keys inside ringside's own sections stay errors.
struct ConfigFileRead {
  std::vector<std::string> set;      // the keys the file set
  std::vector<std::string> ignored;  // sections skipped as not ringside's
};
ConfigFileRead load_config_file(const std::string& path, RunOptions& into);

}  // namespace ringside
