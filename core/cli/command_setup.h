// What every command that loads BPF prepares before it loads anything: its results directory
// (opened while it may still write anywhere), the kernel filesystems, the probe, a transport
// this kernel has, the stop handlers, and the --sink file (opened once for every phase).
#pragma once

#include <memory>
#include <optional>

#include "capability_probe.h"
#include "options.h"
#include "privileges.h"
#include "output_dir.h"
#include "model.h"
#include "sink_writer.h"

namespace ringside {

struct Prepared {
  std::unique_ptr<OutputDir> out;
  ProbeReport probe;
  std::shared_ptr<SinkWriter> sink;
  std::string bpf_stats;  // how BPF run time will be counted (checked here: a long run fails first)
};

// Throws UsageError with the first thing that is missing. Falls `o`'s transport back to the
// perf buffer on a kernel without ring buffers. With `drop`, privileges are dropped last, while
// the process has one thread (run/sweep: KeepCaps::bpf, they load programs in every phase).
Prepared prepare_bpf_command(RunOptions& o, std::optional<KeepCaps> drop = std::nullopt);

// What reached the --sink (nullopt without one); says so on stderr when lines were lost.
std::optional<SinkStats> finish_sink(const std::shared_ptr<SinkWriter>& sink);

}  // namespace ringside
