// What every catalog program shares on the userspace side, over its bpftool skeleton: the
// transport (retyping `events` for the perf buffer, sizing or sharing it), the shared target set,
// the floor switch, the child followers, the counters, the governor's sampling knob, run times.
// A program supplies configure() (its own rodata and which programs load) and attach_all().
#pragma once

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <vector>

#include "libbpf_util.h"
#include "program.h"

namespace ringside {

// Common parts that do not depend on the skeleton type.
uint32_t ring_size_for(uint64_t bytes);  // the next power of two ≥ bytes, at least a page
ProgramCounters read_program_counters(int counters_fd);
std::vector<ProgRuntime> read_runtime(const std::vector<bpf_program*>& programs);
void configure_events_map(bpf_map* events, const LoadOptions& o);
void reuse_map(bpf_map* map, int fd, const char* what);
uint32_t rodata_wakeup(const WakeupPolicy& w);
std::vector<KindCount> read_aggregate(int agg_fd, uint16_t kinds);
// --rings per-cpu: the outer map sized to the possible CPUs (before load) ...
void configure_per_cpu_rings(bpf_map* rings, bpf_map* events, const LoadOptions& o);
// ... and, after load, one ring buffer per CPU put into it (their fds, the caller closes them);
// nothing when the outer map is shared (reuse_rings_fd).
std::vector<int> fill_per_cpu_rings(int rings_fd, const LoadOptions& o);
// The per-CPU ring fds of an outer map, in CPU order (each a new fd the caller closes).
std::vector<int> per_cpu_ring_fds(int rings_fd);
// "failed to load X: <reason>", with the verifier's last lines when it rejected a program.
std::string load_failure(const char* name, int err, const std::string& libbpf_log);
// Attaches a uprobe (or uretprobe) on `symbol` of the ELF `path` in process `pid` (-1: all).
bpf_link* attach_uprobe(bpf_program* prog, pid_t pid, const std::string& path, const std::string& symbol, bool ret);

template <class Skel>
class CatalogProgram : public LoadedProgram {
 public:
  void attach(const AttachContext& ctx) override {
    try {
      attach_all(ctx);
      for (bpf_program* p : followers_) links_.add(bpf_program__attach(p), bpf_program__section_name(p));
    } catch (...) {
      links_.clear();
      throw;
    }
  }
  void detach() noexcept override { links_.clear(); }
  bool attached() const override { return !links_.empty(); }
  void add_target(uint32_t tgid) override {
    uint8_t kind = 1;  // RS_TARGET_EXPLICIT
    if (bpf_map__update_elem(skel_->maps.targets, &tgid, sizeof(tgid), &kind, sizeof(kind), BPF_ANY))
      throw std::runtime_error("failed to add target " + std::to_string(tgid) + ": " + err_text(errno));
  }
  ProgramCounters counters() const override { return read_program_counters(counters_fd()); }
  std::vector<ProgRuntime> runtime() const override { return read_runtime(active_); }
  void set_sample_every(uint32_t n) override {
    // .data is mmap'ed: the BPF program sees the new value on its next run
    __atomic_store_n(&skel_->data->rs_sample_every, n < 1 ? 1 : n, __ATOMIC_RELEASE);
  }
  uint32_t* reader_idle_flag() override { return &skel_->data->rs_reader_idle; }
  uint32_t sample_every() const override { return __atomic_load_n(&skel_->data->rs_sample_every, __ATOMIC_ACQUIRE); }
  std::vector<KindCount> aggregate_counts() const override {
    if (!options_.aggregate) return {};
    return read_aggregate(bpf_map__fd(skel_->maps.rs_agg), kinds_);
  }
  int events_fd() const override { return bpf_map__fd(skel_->maps.events); }
  std::vector<int> ring_fds() const override { return options_.per_cpu_rings ? own_rings_ : std::vector<int>{events_fd()}; }
  int rings_map_fd() const override { return bpf_map__fd(skel_->maps.rs_rings); }
  ~CatalogProgram() override {
    for (int fd : own_rings_) ::close(fd);
  }
  int targets_fd() const override { return bpf_map__fd(skel_->maps.targets); }
  int counters_fd() const override { return bpf_map__fd(skel_->maps.counters); }

 protected:
  CatalogProgram(const char* name, uint16_t kinds, const LoadOptions& o) : name_(name), kinds_(kinds), options_(o) {}

  // Opens, applies the common and the program's configuration, loads.
  void open_and_load() {
    if (!skel_.opened()) throw std::runtime_error(std::string("failed to open ") + name_ + ": " + err_text(errno));
    auto* ro = skel_->rodata;
    ro->rs_transport = options_.transport == Transport::perfbuf ? 1 : 0;
    ro->rs_wakeup = rodata_wakeup(options_.wakeup);
    ro->rs_filter_targets = options_.filter_targets ? 1 : 0;
    ro->rs_floor = options_.floor ? 1 : 0;
    ro->rs_aggregate = options_.aggregate ? 1 : 0;
    ro->rs_stamp_every = options_.stamp_every < 1 ? 1 : options_.stamp_every;
    // a followed child joins the map at fork: one fixed target only without followers
    if (options_.filter_targets && !options_.follow_children) ro->rs_target_tgid = options_.single_target;
    configure_events_map(skel_->maps.events, options_);
    ro->rs_per_cpu_rings = options_.per_cpu_rings ? 1 : 0;
    configure_per_cpu_rings(skel_->maps.rs_rings, skel_->maps.events, options_);
    ro->rs_wakeup_bytes = uint64_t{options_.wakeup.batch} * 64;  // batch:N = N × 64 bytes pending
    if (options_.reuse_targets_fd >= 0) reuse_map(skel_->maps.targets, options_.reuse_targets_fd, "targets");
    else if (options_.max_targets) bpf_map__set_max_entries(skel_->maps.targets, options_.max_targets);
    bpf_object* obj = skel_->obj;
    bpf_program* p;
    bpf_object__for_each_program(p, obj) bpf_program__set_autoload(p, false);
    configure(skel_.get());  // the program's rodata; it calls activate() for what it runs
    if (options_.follow_children && !options_.floor) {
      followers_ = {skel_->progs.rs_follow_fork, skel_->progs.rs_follow_exit};
      for (bpf_program* f : followers_) activate(f);
    }
    int err = 0;
    const std::string log = capture_libbpf_log([&] { err = Skel::load(skel_.get()); });
    if (err) throw std::runtime_error(load_failure(name_, err, log));
    if (options_.per_cpu_rings) {
      own_rings_ = options_.reuse_rings_fd >= 0 ? per_cpu_ring_fds(options_.reuse_rings_fd)
                                                : fill_per_cpu_rings(rings_map_fd(), options_);
    }
  }

  // Marks a program to be loaded (and accounted); attaching it is attach_all()'s job.
  void activate(bpf_program* p) {
    bpf_program__set_autoload(p, true);
    active_.push_back(p);
  }

  virtual void configure(Skel* skel) = 0;
  virtual void attach_all(const AttachContext& ctx) = 0;

  const char* name_;
  uint16_t kinds_;
  LoadOptions options_;
  Skeleton<Skel> skel_;
  LinkSet links_;
  std::vector<bpf_program*> active_;
  std::vector<bpf_program*> followers_;
  std::vector<int> own_rings_;  // per_cpu_rings: the ring of each CPU (fds this object holds)
};

}  // namespace ringside
