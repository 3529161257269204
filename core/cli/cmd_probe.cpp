// `ringside probe [--json]`: what this kernel and process can do, found by trying.
#include <fmt/format.h>

#include <memory>

#include "capability_probe.h"
#include "cli.h"
#include "results_json.h"

namespace ringside {

Subcommand register_probe(CLI::App& root) {
  auto json = std::make_shared<bool>(false);
  CLI::App* app = root.add_subcommand("probe", "report kernel BPF features, capabilities and the recommended transport");
  app->add_flag("--json", *json, "print JSON instead of a table");
  return {app, [json] {
            ensure_kernel_filesystems(*json);
            ProbeReport r = probe_host();
            if (*json) {
              fmt::print("{}\n", to_json(r).dump(2));
              return kExitOk;
            }
            fmt::print("kernel      {}{}\n", r.kernel, r.preempt_rt ? " (PREEMPT_RT)" : "");
            fmt::print("cpus        {}\n", r.cpus);
            for (const auto& f : r.features) fmt::print("{:<22} {:<4} {}\n", f.name, f.ok ? "yes" : "no", f.detail);
            fmt::print("recommended transport: {}\n", r.recommended_transport);
            fmt::print("capabilities after attach: trace drops all; run/sweep keep CAP_BPF, CAP_PERFMON, "
                       "CAP_SYS_ADMIN (they attach again each phase)\n");
            return kExitOk;
          }};
}

}  // namespace ringside
