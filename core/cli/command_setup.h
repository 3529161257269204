// What every command that loads BPF prepares before it loads anything: its results directory
// (opened while it may still write anywhere), the kernel filesystems, the probe, a transport
// this kernel has, the stop handlers, and the --sink file (opened once for every phase).
#pragma once

#include <memory>

#include "capability_probe.h"
#include "options.h"
#include "output_dir.h"
#include "sink_writer.h"

namespace ringside {

struct Prepared {
  std::unique_ptr<OutputDir> out;
  ProbeReport probe;
  std::shared_ptr<SinkWriter> sink;
};

// Throws UsageError with the first thing that is missing. Falls `o`'s transport back to the
// perf buffer on a kernel without ring buffers.
Prepared prepare_bpf_command(RunOptions& o);

}  // namespace ringside
