// The skeleton-independent parts of CatalogProgram.
#include "catalog_program.h"

#include <fmt/format.h>

#include <algorithm>

extern "C" {
#include <linux/types.h>

#include "rs_record.h"
}

namespace ringside {

ProgramCounters& ProgramCounters::operator+=(const ProgramCounters& o) {
  matched += o.matched;
  emitted += o.emitted;
  kernel_reserve += o.kernel_reserve;
  perf_output += o.perf_output;
  sampled_out += o.sampled_out;
  targets_full += o.targets_full;
  return *this;
}

uint32_t ring_size_for(uint64_t bytes) {
  uint64_t p = 4096;
  while (p < bytes) p <<= 1;
  return static_cast<uint32_t>(p);
}

ProgramCounters read_program_counters(int counters_fd) {
  const int ncpu = libbpf_num_possible_cpus();
  std::vector<rs_counters> per_cpu(static_cast<size_t>(ncpu > 0 ? ncpu : 1));
  uint32_t zero = 0;
  if (bpf_map_lookup_elem(counters_fd, &zero, per_cpu.data()))
    throw std::runtime_error("failed to read counters: " + err_text(errno));
  ProgramCounters t;
  for (const auto& c : per_cpu) {
    t.matched += c.c[RS_CNT_MATCHED];
    t.emitted += c.c[RS_CNT_EMITTED];
    t.kernel_reserve += c.c[RS_CNT_KERNEL_RESERVE];
    t.perf_output += c.c[RS_CNT_PERF_OUTPUT];
    t.sampled_out += c.c[RS_CNT_SAMPLED_OUT];
    t.targets_full += c.c[RS_CNT_TARGETS_FULL];
  }
  return t;
}

std::vector<ProgRuntime> read_runtime(const std::vector<bpf_program*>& programs) {
  std::vector<ProgRuntime> out;
  for (bpf_program* p : programs) {
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len)) continue;
    out.push_back({info.id, bpf_program__name(p), info.run_time_ns, info.run_cnt});
  }
  return out;
}

void reuse_map(bpf_map* map, int fd, const char* what) {
  if (int err = bpf_map__reuse_fd(map, fd)) throw std::runtime_error(fmt::format("failed to share {}: {}", what, err_text(err)));
}

void configure_events_map(bpf_map* events, const LoadOptions& o) {
  // One map name, two transports: retype for the perf buffer (libbpf-tools' compat approach).
  if (o.transport == Transport::perfbuf) {
    bpf_map__set_type(events, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
    bpf_map__set_key_size(events, sizeof(int));
    bpf_map__set_value_size(events, sizeof(int));
    bpf_map__set_max_entries(events, 0);  // libbpf sizes it to the possible CPUs
  } else {
    bpf_map__set_max_entries(events, ring_size_for(o.ring_bytes));
  }
  if (o.reuse_events_fd >= 0) reuse_map(events, o.reuse_events_fd, "the ring");
}

void configure_per_cpu_rings(bpf_map* rings, bpf_map* events, const LoadOptions& o) {
  if (!o.per_cpu_rings) return;  // the outer map stays one empty slot
  if (o.transport != Transport::ringbuf) throw std::runtime_error("--rings per-cpu: the perf buffer is per-CPU already");
  bpf_map__set_max_entries(rings, static_cast<uint32_t>(std::max(libbpf_num_possible_cpus(), 1)));
  if (o.reuse_rings_fd >= 0) reuse_map(rings, o.reuse_rings_fd, "the per-CPU rings");
  if (o.reuse_events_fd < 0) bpf_map__set_max_entries(events, ring_size_for(4096));  // unused: one page
}

std::vector<int> fill_per_cpu_rings(int rings_fd, const LoadOptions& o) {
  const int ncpu = std::max(libbpf_num_possible_cpus(), 1);
  const uint32_t size = ring_size_for(std::max<uint64_t>(o.ring_bytes / static_cast<uint64_t>(ncpu), 4096));
  std::vector<int> fds;
  try {
    for (uint32_t cpu = 0; cpu < static_cast<uint32_t>(ncpu); ++cpu) {
      const int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "rs_ring_cpu", 0, 0, size, nullptr);
      if (fd < 0) throw std::runtime_error("failed to create the ring of CPU " + std::to_string(cpu) + ": " + err_text(errno));
      fds.push_back(fd);
      if (bpf_map_update_elem(rings_fd, &cpu, &fd, BPF_ANY))
        throw std::runtime_error("failed to install the ring of CPU " + std::to_string(cpu) + ": " + err_text(errno));
    }
  } catch (...) {
    for (int fd : fds) ::close(fd);
    throw;
  }
  return fds;
}

std::vector<int> per_cpu_ring_fds(int rings_fd) {
  const int ncpu = std::max(libbpf_num_possible_cpus(), 1);
  std::vector<int> fds;
  for (uint32_t cpu = 0; cpu < static_cast<uint32_t>(ncpu); ++cpu) {
    uint32_t id = 0;
    int fd = -1;
    if (bpf_map_lookup_elem(rings_fd, &cpu, &id) == 0) fd = bpf_map_get_fd_by_id(id);
    if (fd < 0) {
      for (int f : fds) ::close(f);
      throw std::runtime_error("failed to open the ring of CPU " + std::to_string(cpu) + ": " + err_text(errno));
    }
    fds.push_back(fd);
  }
  return fds;
}

uint32_t rodata_wakeup(const WakeupPolicy& w) {
  switch (w.kind) {
    case WakeupPolicy::Kind::every: return RS_WAKEUP_EVERY;
    case WakeupPolicy::Kind::batch: return RS_WAKEUP_BATCH;
    case WakeupPolicy::Kind::adaptive: break;
  }
  return RS_WAKEUP_ADAPTIVE;
}

std::vector<KindCount> read_aggregate(int agg_fd, uint16_t kinds) {
  const int ncpu = std::max(libbpf_num_possible_cpus(), 1);
  std::vector<rs_agg> per_cpu(static_cast<size_t>(ncpu));
  std::vector<KindCount> out(kinds);
  for (uint32_t k = 0; k < kinds && k < RS_AGG_KINDS; ++k) {
    if (bpf_map_lookup_elem(agg_fd, &k, per_cpu.data())) throw std::runtime_error("failed to read aggregates: " + err_text(errno));
    for (const rs_agg& a : per_cpu) {
      out[k].count += a.count;
      out[k].bytes += a.bytes;
    }
  }
  return out;
}

std::string load_failure(const char* name, int err, const std::string& log) {
  std::string out = fmt::format("failed to load {}: {}", name, err_text(err));
  // libbpf brackets the verifier's log: keep its last lines (the verdict and what led to it)
  const auto end = log.rfind("-- END PROG LOAD LOG --");
  const auto begin = log.rfind("-- BEGIN PROG LOAD LOG --", end);
  if (end == std::string::npos || begin == std::string::npos) return out;
  std::vector<std::string> lines;
  std::size_t at = log.find('\n', begin);
  while (at != std::string::npos && at < end) {
    const std::size_t next = log.find('\n', at + 1);
    std::string line = log.substr(at + 1, (next == std::string::npos ? end : next) - at - 1);
    if (!line.empty() && line.find("-- END") == std::string::npos && line.rfind("processed ", 0) != 0) lines.push_back(line);
    at = next;
  }
  if (lines.empty()) return out;
  const std::size_t keep = std::min<std::size_t>(lines.size(), 3);
  std::string tail;
  for (std::size_t i = lines.size() - keep; i < lines.size(); ++i) tail += (tail.empty() ? "" : " | ") + lines[i];
  return fmt::format("failed to load {}: the verifier rejected it; last verifier lines: {}", name, tail);
}

bpf_link* attach_uprobe(bpf_program* prog, pid_t pid, const std::string& path, const std::string& symbol, bool ret) {
  LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = ret, .func_name = symbol.c_str());
  return bpf_program__attach_uprobe_opts(prog, pid, path.c_str(), 0, &opts);
}

}  // namespace ringside
