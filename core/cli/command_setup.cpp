#include "command_setup.h"

#include <fmt/format.h>

#include "bpf_prog_stats.h"
#include "stop_signal.h"
#include "usage_error.h"

namespace ringside {

Prepared prepare_bpf_command(RunOptions& o, std::optional<KeepCaps> drop) {
  Prepared p;
  p.out = std::make_unique<OutputDir>(o.out, /*for_dropped_capabilities=*/true);  // run, sweep, trace drop them
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

std::optional<SinkStats> finish_sink(const std::shared_ptr<SinkWriter>& sink) {
  if (!sink) return std::nullopt;
  SinkStats s{sink->path(), sink->lines_written(), sink->lines_lost(), sink->write_errors(), sink->last_error()};
  if (s.lost)
    fmt::print(stderr, "ringside: sink {}: {} event line(s) lost in {} failed write(s): {}\n", s.path, s.lost,
               s.write_errors, s.last_error);
  return s;
}

}  // namespace ringside
