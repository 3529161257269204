// ringside: what does this eBPF event pipeline cost, where does its latency go, when does it drop?
#include <fmt/format.h>
#include <sys/stat.h>

#include <exception>
#include <vector>

#include "cli.h"
#include "libbpf_util.h"

int main(int argc, char** argv) {
  using namespace ringside;
  CLI::App root{"ringside: measure what an eBPF event pipeline costs before it reaches production"};
  root.require_subcommand(1);
  root.set_version_flag("--version", RINGSIDE_VERSION);
  install_libbpf_logging();
  ::umask(077);  // results, sinks and reports hold command lines, arguments and pointers: owner only
  std::vector<Subcommand> subs = {register_probe(root), register_trace(root), register_run(root),
                                  register_sweep(root), register_measure(root), register_gate(root),
                                  register_history(root)};
  // name an unknown subcommand instead of CLI11's generic "a subcommand is required"
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (const auto& s : subs) known = known || s.app->check_name(argv[1]);
    if (!known) {
      fmt::print(stderr, "ringside: unknown subcommand '{}' (expected probe, trace, run, sweep, measure, gate or history)\n", argv[1]);
      return kExitUsage;
    }
  }
  try {
    root.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return root.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return root.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return root.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "ringside: {}\n", one_line(e.what()));
    return kExitUsage;
  } catch (const std::exception& e) {  // a flag's value rejected by its parser
    fmt::print(stderr, "ringside: {}\n", one_line(e.what()));
    return kExitUsage;
  }
  try {
    for (auto& s : subs)
      if (s.app && s.app->parsed()) return s.run();
  } catch (const UsageError& e) {
    fmt::print(stderr, "ringside: {}\n", one_line(e.what()));
    return kExitUsage;
  } catch (const std::exception& e) {
    fmt::print(stderr, "ringside: {}\n", one_line(e.what()));
    return kExitUsage;
  }
  return kExitUsage;
}
