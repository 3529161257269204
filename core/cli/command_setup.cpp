#include "command_setup.h"

#include "bpf_prog_stats.h"
#include "stop_signal.h"
#include "usage_error.h"

namespace ringside {

Prepared prepare_bpf_command(RunOptions& o, std::optional<KeepCaps> drop) {
  Prepared p;
  p.out = std::make_unique<OutputDir>(o.out);
  ensure_kernel_filesystems();
  p.probe = probe_host();
  o.pipeline.transport = require_bpf(p.probe, o.pipeline.transport);
  install_stop_handlers();
  p.bpf_stats = acquire_bpf_stats().method;
  if (!o.pipeline.sink.empty()) {
    try {
      p.sink = std::make_shared<SinkWriter>(o.pipeline.sink);
    } catch (const std::runtime_error& e) {
      throw UsageError(e.what());
    }
  }
  if (drop) drop_capabilities(*drop);
  return p;
}

}  // namespace ringside
