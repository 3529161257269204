// bpf_object: a user's own object (--bpf-object FILE --ring MAP). See bpf_object.h for what it
// does and what its floor is.
#include "bpf_object.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <elf.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>

#include "catalog_program.h"
#include "registry.h"
#include "usage_error.h"

namespace ringside {
namespace {

// Bytes of each record kept in its pooled event (for the sink); longer records are received and
// counted whole, their tail not copied.
constexpr uint32_t kKeptRecordBytes = 512;

struct ObjectCloser {
  void operator()(bpf_object* o) const noexcept { bpf_object__close(o); }
};
using ObjectPtr = std::unique_ptr<bpf_object, ObjectCloser>;

std::string base_name(const std::string& path) { return std::filesystem::path(path).filename().string(); }

ObjectPtr open_object(const std::string& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) throw UsageError(fmt::format("--bpf-object {}: no such file", file));
  bpf_object* obj = nullptr;
  const std::string log = capture_libbpf_log([&] { obj = bpf_object__open_file(file.c_str(), nullptr); });
  if (!obj) {
    const int err = errno;
    std::string why = err_text(err);
    const auto nl = log.find_last_not_of('\n');
    if (nl != std::string::npos) {  // libbpf's last line says what it could not parse
      const auto start = log.rfind('\n', nl);
      why += "; libbpf: " + log.substr(start == std::string::npos ? 0 : start + 1, nl - (start == std::string::npos ? 0 : start));
    }
    throw UsageError(fmt::format("--bpf-object {}: not a BPF object libbpf can open ({})", file, why));
  }
  return ObjectPtr(obj);
}

std::string map_names(bpf_object* obj) {
  std::string out;
  bpf_map* m;
  bpf_object__for_each_map(m, obj) {
    if (bpf_map__is_internal(m)) continue;
    out += (out.empty() ? "" : ", ") + std::string(bpf_map__name(m));
  }
  return out.empty() ? "none" : out;
}

std::string_view map_type_name(bpf_map_type t) {
  const char* n = libbpf_bpf_map_type_str(t);
  return n ? n : "unknown";
}

// A global variable: where it lives (an internal map: .rodata, .data, .bss, …) and its type.
struct GlobalVar {
  bpf_map* map = nullptr;
  std::string section;
  uint32_t offset = 0, size = 0;
  bool is_int = false, is_signed = false;
};

const btf_type* skip_mods(const btf* b, uint32_t id) {
  const btf_type* t = btf__type_by_id(b, id);
  while (t && (btf_is_mod(t) || btf_is_typedef(t))) t = btf__type_by_id(b, t->type);
  return t;
}

// The internal map holding datasec `section` (libbpf names it "<obj prefix><section>").
bpf_map* internal_map(bpf_object* obj, std::string_view section) {
  bpf_map* m;
  bpf_object__for_each_map(m, obj) {
    if (!bpf_map__is_internal(m)) continue;
    const std::string_view n = bpf_map__name(m);
    if (n == section || (n.size() >= section.size() && n.substr(n.size() - section.size()) == section)) return m;
  }
  return nullptr;
}

std::optional<GlobalVar> find_global(bpf_object* obj, std::string_view name, std::vector<std::string>* all = nullptr) {
  const btf* b = bpf_object__btf(obj);
  if (!b) return std::nullopt;
  for (uint32_t id = 1; id < btf__type_cnt(b); ++id) {
    const btf_type* t = btf__type_by_id(b, id);
    if (!btf_is_datasec(t)) continue;
    const char* sec = btf__name_by_offset(b, t->name_off);
    if (!sec || std::string_view(sec) == ".maps" || std::string_view(sec) == "license") continue;  // not variables
    const btf_var_secinfo* vi = btf_var_secinfos(t);
    for (uint16_t i = 0; i < btf_vlen(t); ++i, ++vi) {
      const btf_type* var = btf__type_by_id(b, vi->type);
      if (!var || !btf_is_var(var)) continue;
      const char* vname = btf__name_by_offset(b, var->name_off);
      if (all) all->emplace_back(vname);
      if (name != vname) continue;
      GlobalVar g;
      g.section = sec ? sec : "";
      g.map = internal_map(obj, g.section);
      g.offset = vi->offset;
      g.size = vi->size;
      const btf_type* vt = skip_mods(b, var->type);
      if (vt && btf_is_int(vt)) {
        g.is_int = true;
        g.is_signed = (btf_int_encoding(vt) & BTF_INT_SIGNED) != 0;
      } else if (vt && btf_is_enum(vt)) {
        g.is_int = true;
      }
      return g;
    }
  }
  return std::nullopt;
}

std::string globals_list(bpf_object* obj) {
  std::vector<std::string> all;
  find_global(obj, "\x01", &all);
  std::string out;
  for (const auto& n : all) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none (or the object has no BTF)" : out;
}

// VALUE of --rodata NAME=VALUE as the bytes of a `size`-byte integer (little-endian x86).
std::vector<uint8_t> integer_bytes(std::string_view item, std::string_view value, const GlobalVar& g, pid_t pid) {
  const int bits = static_cast<int>(g.size) * 8;
  __int128 v = 0;
  if (value == "{pid}") {
    if (pid <= 0) throw UsageError(fmt::format("--rodata {}: {{pid}} is known only once a process is traced", item));
    v = pid;
  } else {
    bool neg = !value.empty() && value.front() == '-';
    std::string_view digits = neg ? value.substr(1) : value;
    int base = 10;
    if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
      base = 16;
      digits.remove_prefix(2);
    }
    uint64_t u = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), u, base);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size())
      throw UsageError(fmt::format("--rodata {}: expected an integer (decimal, 0x hex or {{pid}})", item));
    v = neg ? -static_cast<__int128>(u) : static_cast<__int128>(u);
  }
  const __int128 lo = g.is_signed ? -(static_cast<__int128>(1) << (bits - 1)) : 0;
  const __int128 hi = g.is_signed ? (static_cast<__int128>(1) << (bits - 1)) - 1 : (static_cast<__int128>(1) << bits) - 1;
  if (v < lo || v > hi)
    throw UsageError(fmt::format("--rodata {}: does not fit {} ({}{}-bit)", item, std::string(g.is_signed ? "s" : "u") +
                                 std::to_string(bits), g.is_signed ? "signed " : "unsigned ", bits));
  std::vector<uint8_t> out(g.size);
  const auto u = static_cast<unsigned __int128>(v);
  for (uint32_t i = 0; i < g.size; ++i) out[i] = static_cast<uint8_t>(u >> (8 * i));
  return out;
}

// Sets every --rodata NAME=VALUE in the opened (not yet loaded) object.
void apply_rodata(bpf_object* obj, const BpfObjectOptions& o, pid_t pid, bool check_only) {
  std::map<bpf_map*, std::vector<uint8_t>> images;
  for (const std::string& item : o.rodata) {
    const auto eq = item.find('=');
    const std::string name = item.substr(0, eq), value = item.substr(eq + 1);
    const auto g = find_global(obj, name);
    if (!g)
      throw UsageError(fmt::format("--rodata {}: {} has no global variable '{}' (globals: {})", item, base_name(o.file),
                                   name, globals_list(obj)));
    if (!g->is_int || (g->size != 1 && g->size != 2 && g->size != 4 && g->size != 8))
      throw UsageError(fmt::format("--rodata {}: '{}' is not an integer of 1, 2, 4 or 8 bytes", item, name));
    if (!g->map) throw UsageError(fmt::format("--rodata {}: no map holds section {}", item, g->section));
    if (check_only && value == "{pid}") {
      if (g->size < 4) throw UsageError(fmt::format("--rodata {}: a pid does not fit in {} byte(s)", item, g->size));
      continue;
    }
    const std::vector<uint8_t> bytes = integer_bytes(item, value, *g, check_only ? 1 : pid);
    if (check_only) continue;
    auto& image = images[g->map];
    if (image.empty()) {
      size_t size = 0;
      const void* init = bpf_map__initial_value(g->map, &size);
      if (!init) throw std::runtime_error(fmt::format("--rodata {}: cannot read {}'s initial value", item, g->section));
      image.assign(static_cast<const uint8_t*>(init), static_cast<const uint8_t*>(init) + size);
    }
    if (g->offset + g->size > image.size()) throw std::runtime_error(fmt::format("--rodata {}: outside {}", item, g->section));
    std::memcpy(image.data() + g->offset, bytes.data(), bytes.size());
  }
  for (auto& [map, image] : images)
    if (int err = bpf_map__set_initial_value(map, image.data(), image.size()))
      throw std::runtime_error(fmt::format("--rodata: cannot set {}: {}", bpf_map__name(map), err_text(err)));
}

// One --drop-counter: a global (read from its map's value) or an array map (every entry and CPU).
struct DropCounter {
  std::string name, where;
  bpf_map* map = nullptr;
  bool global = false;
  uint32_t offset = 0, size = 8;
};

DropCounter resolve_drop_counter(bpf_object* obj, const std::string& name, const std::string& file) {
  DropCounter c;
  c.name = name;
  if (bpf_map* m = bpf_object__find_map_by_name(obj, name.c_str()); m && !bpf_map__is_internal(m)) {
    const auto t = bpf_map__type(m);
    if (t != BPF_MAP_TYPE_ARRAY && t != BPF_MAP_TYPE_PERCPU_ARRAY)
      throw UsageError(fmt::format("--drop-counter {}: is a {} map, expected an array or per-CPU array of u64", name,
                                   map_type_name(t)));
    if (bpf_map__value_size(m) != 8 && bpf_map__value_size(m) != 4)
      throw UsageError(fmt::format("--drop-counter {}: values of {} bytes, expected u64 (or u32)", name,
                                   bpf_map__value_size(m)));
    c.map = m;
    c.size = bpf_map__value_size(m);
    c.where = fmt::format("{} map, every entry{}", map_type_name(t), t == BPF_MAP_TYPE_PERCPU_ARRAY ? " and CPU" : "");
    return c;
  }
  const auto g = find_global(obj, name);
  if (!g)
    throw UsageError(fmt::format("--drop-counter {}: {} has no global or array map '{}' (maps: {}; globals: {})", name,
                                 base_name(file), name, map_names(obj), globals_list(obj)));
  if (!g->is_int || (g->size != 8 && g->size != 4))
    throw UsageError(fmt::format("--drop-counter {}: '{}' is not a u64 (or u32) integer", name, name));
  if (!g->map) throw UsageError(fmt::format("--drop-counter {}: no map holds section {}", name, g->section));
  c.map = g->map;
  c.global = true;
  c.offset = g->offset;
  c.size = g->size;
  c.where = fmt::format("{} u{}", g->section, g->size * 8);
  return c;
}

uint64_t read_drop_counter(const DropCounter& c) {
  const int fd = bpf_map__fd(c.map);
  if (fd < 0) return 0;
  const bool percpu = bpf_map__type(c.map) == BPF_MAP_TYPE_PERCPU_ARRAY;
  const int ncpu = percpu ? std::max(libbpf_num_possible_cpus(), 1) : 1;
  const uint32_t vsize = bpf_map__value_size(c.map);
  // per-CPU values are 8-byte aligned each
  const size_t stride = percpu ? (vsize + 7) / 8 * 8 : vsize;
  std::vector<uint8_t> value(stride * static_cast<size_t>(ncpu));
  const auto at = [&](size_t off) {
    uint64_t v = 0;
    std::memcpy(&v, value.data() + off, c.size);
    return v;
  };
  if (c.global) {
    uint32_t zero = 0;
    if (bpf_map_lookup_elem(fd, &zero, value.data())) return 0;
    return at(c.offset);
  }
  uint64_t sum = 0;
  for (uint32_t key = 0; key < bpf_map__max_entries(c.map); ++key) {
    if (bpf_map_lookup_elem(fd, &key, value.data())) break;
    for (int cpu = 0; cpu < ncpu; ++cpu) sum += at(stride * static_cast<size_t>(cpu));
  }
  return sum;
}

bpf_map* find_ring(bpf_object* obj, const BpfObjectOptions& o, Transport* transport) {
  if (o.ring.empty()) throw UsageError("--bpf-object needs --ring MAP (its ring buffer or perf event array)");
  bpf_map* m = bpf_object__find_map_by_name(obj, o.ring.c_str());
  if (!m || bpf_map__is_internal(m))
    throw UsageError(fmt::format("--ring {}: {} has no map '{}' (maps: {})", o.ring, base_name(o.file), o.ring, map_names(obj)));
  const auto t = bpf_map__type(m);
  if (t == BPF_MAP_TYPE_RINGBUF) *transport = Transport::ringbuf;
  else if (t == BPF_MAP_TYPE_PERF_EVENT_ARRAY) *transport = Transport::perfbuf;
  else
    throw UsageError(fmt::format("--ring {}: is a {} map, expected a ringbuf or perf_event_array map", o.ring,
                                 map_type_name(t)));
  return m;
}

std::vector<BpfObjectProgram> loadable_programs(bpf_object* obj) {
  std::vector<BpfObjectProgram> out;
  bpf_program* p;
  bpf_object__for_each_program(p, obj) {
    if (bpf_program__autoload(p)) out.push_back({bpf_program__name(p), bpf_program__section_name(p)});
  }
  return out;
}

// Why a program could not attach, in one line.
std::string attach_failure(const BpfObjectProgram& p, int err) {
  const std::string_view sec = p.section;
  std::string hint;
  if (err == EOPNOTSUPP || err == ESRCH)
    hint = "; libbpf cannot attach this section type by itself (ringside attaches what libbpf auto-attaches, and "
           "uprobes against the traced process)";
  else if (sec.starts_with("kprobe") || sec.starts_with("kretprobe") || sec.starts_with("ksyscall") ||
           sec.starts_with("kretsyscall"))
    hint = "; kprobes are not available on this kernel (`ringside probe` shows what is)";
  else if (sec.starts_with("fentry") || sec.starts_with("fexit") || sec.starts_with("tp_btf") || sec.starts_with("lsm"))
    hint = "; BPF trampolines (the tracing program type) are not available on this kernel";
  return fmt::format("cannot attach program {} (SEC(\"{}\")): {}{}", p.name, p.section, err_text(err), hint);
}

// SEC("uprobe/PATH:FUNC[+OFF]") (and uretprobe, .s variants) or a bare SEC("uprobe") with
// --function: attached per traced process, like function_timing.
struct UprobeTarget {
  bool ret = false;
  std::string path, func;
  size_t offset = 0;
};

std::optional<UprobeTarget> uprobe_target(const std::string& sec, const LoadOptions& o) {
  const bool ret = sec.starts_with("uretprobe");
  if (!ret && !sec.starts_with("uprobe")) return std::nullopt;
  if (sec.starts_with("uprobe.multi") || sec.starts_with("uretprobe.multi")) return std::nullopt;  // libbpf's own
  UprobeTarget t;
  t.ret = ret;
  const auto slash = sec.find('/');
  if (slash == std::string::npos) {
    if (o.function_path.empty())
      throw UsageError(fmt::format("SEC(\"{}\") names no target: give --function PATH:SYMBOL", sec));
    t.path = o.function_path;
    t.func = o.function_symbol;
    return t;
  }
  const std::string rest = sec.substr(slash + 1);
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos) throw UsageError(fmt::format("SEC(\"{}\"): expected uprobe/PATH:FUNCTION", sec));
  t.path = rest.substr(0, colon);
  std::string fn = rest.substr(colon + 1);
  if (const auto plus = fn.find('+'); plus != std::string::npos) {
    t.offset = std::strtoull(fn.c_str() + plus + 1, nullptr, 0);
    fn.resize(plus);
  }
  if (!fn.empty() && std::isdigit(static_cast<unsigned char>(fn.front()))) {
    t.offset = std::strtoull(fn.c_str(), nullptr, 0);
    fn.clear();
  }
  t.func = fn;
  return t;
}

class ForeignProgram final : public LoadedProgram {
 public:
  explicit ForeignProgram(const LoadOptions& o) : options_(o) {
    const BpfObjectOptions& b = o.bpf_object;
    obj_ = open_object(b.file);
    Transport transport;
    ring_ = find_ring(obj_.get(), b, &transport);
    if (transport != o.transport) throw std::logic_error("bpf_object: the session's transport is not the ring's");
    if (transport == Transport::ringbuf && b.ring_bytes) bpf_map__set_max_entries(ring_, ring_size_for(b.ring_bytes));
    apply_rodata(obj_.get(), b, o.target_pid, false);
    for (const std::string& n : b.drop_counters) drops_.push_back(resolve_drop_counter(obj_.get(), n, b.file));
    programs_ = loadable_programs(obj_.get());
    if (programs_.empty()) throw UsageError(fmt::format("--bpf-object {}: no program to load", b.file));
    int err = 0;
    std::string log = capture_libbpf_log([&] { err = bpf_object__load(obj_.get()); });
    if (err) throw UsageError(load_failure(base_name(b.file).c_str(), err, log));
    if (o.floor) {
      // the floor: the same SEC()s, bodies `return 0` (the object stays loaded only for its maps)
      const std::vector<uint8_t> image = stub_object(programs_);
      LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "ringside_floor");
      bpf_object* stub = bpf_object__open_mem(image.data(), image.size(), &opts);
      if (!stub) throw std::runtime_error("failed to open the floor's stub object: " + err_text(errno));
      floor_.reset(stub);
      log = capture_libbpf_log([&] { err = bpf_object__load(stub); });
      if (err) throw std::runtime_error(load_failure("the floor's stub object", err, log));
    }
  }

  void attach(const AttachContext& ctx) override {
    bpf_object* obj = floor_ ? floor_.get() : obj_.get();
    try {
      bpf_program* p;
      bpf_object__for_each_program(p, obj) {
        if (!bpf_program__autoload(p)) continue;
        const BpfObjectProgram info{bpf_program__name(p), bpf_program__section_name(p)};
        if (const auto up = uprobe_target(info.section, options_)) {
          const std::vector<pid_t> everyone = {-1};
          for (pid_t pid : ctx.pids.empty() ? everyone : ctx.pids) {
            LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = up->ret, .func_name = up->func.empty() ? nullptr : up->func.c_str());
            bpf_link* l = bpf_program__attach_uprobe_opts(p, pid, up->path.c_str(), up->offset, &uo);
            if (!l) throw std::runtime_error(attach_failure(info, errno));
            links_.add(l, info.section);
          }
          continue;
        }
        bpf_link* l = bpf_program__attach(p);
        if (!l) throw std::runtime_error(attach_failure(info, errno));
        links_.add(l, info.section);
      }
    } catch (...) {
      links_.clear();
      throw;
    }
  }
  void detach() noexcept override { links_.clear(); }
  bool attached() const override { return !links_.empty(); }
  void add_target(uint32_t) override {}  // the object filters itself (--rodata target_tgid={pid})
  ProgramCounters counters() const override {
    ProgramCounters c;
    if (floor_) return c;
    uint64_t dropped = 0;
    for (const DropCounter& d : drops_) dropped += read_drop_counter(d);
    (options_.transport == Transport::perfbuf ? c.perf_output : c.kernel_reserve) = dropped;
    return c;
  }
  std::vector<ProgRuntime> runtime() const override {
    std::vector<bpf_program*> progs;
    bpf_program* p;
    bpf_object__for_each_program(p, floor_ ? floor_.get() : obj_.get()) {
      if (bpf_program__autoload(p)) progs.push_back(p);
    }
    return read_runtime(progs);
  }
  void set_sample_every(uint32_t) override {}  // its code is its own: the governor can only detach it
  uint32_t sample_every() const override { return 1; }
  std::vector<KindCount> aggregate_counts() const override { return {}; }
  int events_fd() const override { return bpf_map__fd(ring_); }
  int targets_fd() const override { return -1; }
  int counters_fd() const override {
    // a map a lookup works on (the privilege drop checks map access with it), if there is one
    bpf_map* m;
    bpf_object__for_each_map(m, obj_.get()) {
      const auto t = bpf_map__type(m);
      if (t == BPF_MAP_TYPE_ARRAY || t == BPF_MAP_TYPE_PERCPU_ARRAY) return bpf_map__fd(m);
    }
    return -1;
  }

 private:
  LoadOptions options_;
  ObjectPtr obj_, floor_;
  bpf_map* ring_ = nullptr;
  std::vector<BpfObjectProgram> programs_;
  std::vector<DropCounter> drops_;
  LinkSet links_;
};

ProgramFormat format(const LoadOptions& o) {
  ProgramFormat f;
  f.name = "bpf_object";
  f.has_header = false;
  f.submit_ts_offset = o.bpf_object.timestamp_offset;
  f.min_bytes = o.bpf_object.timestamp_offset >= 0 ? static_cast<uint32_t>(o.bpf_object.timestamp_offset) + 8 : 1;
  f.max_bytes = std::max(kKeptRecordBytes, f.min_bytes);
  f.kinds = 1;
  f.stages = stage_bit(Stage::read_to_parse) | stage_bit(Stage::queue_wait) | stage_bit(Stage::handle);
  if (o.bpf_object.timestamp_offset >= 0) f.stages |= stage_bit(Stage::submit_to_read) | stage_bit(Stage::end_to_end);
  return f;
}

std::unique_ptr<LoadedProgram> load(const LoadOptions& o) { return std::make_unique<ForeignProgram>(o); }

std::string kind_name(uint16_t) { return "record"; }

std::optional<uint64_t> expected(const WorkloadResult& truth, const LoadOptions& o) {
  if (o.bpf_object.expect_per_op < 0) return std::nullopt;
  return static_cast<uint64_t>(std::llround(static_cast<double>(truth.ops) * o.bpf_object.expect_per_op));
}

// --- the floor's stub object ------------------------------------------------------------------

template <class T>
void put(std::vector<uint8_t>& out, const T& v) {
  const auto* p = reinterpret_cast<const uint8_t*>(&v);
  out.insert(out.end(), p, p + sizeof(T));
}

void align(std::vector<uint8_t>& out, size_t to) {
  while (out.size() % to) out.push_back(0);
}

}  // namespace

BpfObjectInfo inspect_bpf_object(const BpfObjectOptions& o, uint32_t resize_ring) {
  if (o.file.empty()) throw std::logic_error("inspect_bpf_object without a file");
  ObjectPtr obj = open_object(o.file);
  BpfObjectInfo info;
  info.file = o.file;
  info.ring = o.ring;
  bpf_map* ring = find_ring(obj.get(), o, &info.transport);
  if (info.transport == Transport::ringbuf)
    info.ring_bytes = resize_ring ? ring_size_for(resize_ring) : bpf_map__max_entries(ring);
  apply_rodata(obj.get(), o, 0, true);
  for (const std::string& n : o.drop_counters) {
    const DropCounter c = resolve_drop_counter(obj.get(), n, o.file);
    info.drop_counters.push_back(fmt::format("{} ({})", c.name, c.where));
  }
  info.programs = loadable_programs(obj.get());
  if (info.programs.empty()) throw UsageError(fmt::format("--bpf-object {}: no program to load", o.file));
  // a trial load, so that a verifier rejection is the first thing said, before any workload runs
  // ({pid} stands in as 1: the value does not change what the verifier sees)
  if (ring && info.transport == Transport::ringbuf && resize_ring) bpf_map__set_max_entries(ring, info.ring_bytes);
  apply_rodata(obj.get(), o, 1, false);
  int err = 0;
  const std::string log = capture_libbpf_log([&] { err = bpf_object__load(obj.get()); });
  if (err) throw UsageError(load_failure(base_name(o.file).c_str(), err, log));
  info.rodata = o.rodata;
  info.timestamp_offset = o.timestamp_offset;
  info.expect_per_op = o.expect_per_op;
  return info;
}

std::vector<uint8_t> stub_object(const std::vector<BpfObjectProgram>& programs) {
  // Sections: [0] null, one per distinct program section, license, .symtab, .strtab, .shstrtab.
  std::vector<std::string> sections;
  std::vector<size_t> section_of;
  for (const auto& p : programs) {
    auto it = std::find(sections.begin(), sections.end(), p.section);
    if (it == sections.end()) it = sections.insert(sections.end(), p.section);
    section_of.push_back(static_cast<size_t>(it - sections.begin()));
  }
  const size_t nprog_secs = sections.size();
  const auto license_idx = static_cast<uint16_t>(nprog_secs + 1), symtab_idx = static_cast<uint16_t>(nprog_secs + 2),
             strtab_idx = static_cast<uint16_t>(nprog_secs + 3), shstrtab_idx = static_cast<uint16_t>(nprog_secs + 4);
  const uint16_t nsec = shstrtab_idx + 1;

  std::string shstrtab(1, '\0'), strtab(1, '\0');
  const auto add_str = [](std::string& tab, const std::string& s) {
    const auto at = static_cast<uint32_t>(tab.size());
    tab += s;
    tab.push_back('\0');
    return at;
  };
  std::vector<Elf64_Shdr> shdr(nsec);
  std::vector<uint8_t> out(sizeof(Elf64_Ehdr), 0);

  // r0 = 0; exit
  const uint64_t insns[2] = {0x00000000000000b7ull, 0x0000000000000095ull};
  std::vector<uint32_t> count_in(nprog_secs, 0);
  for (size_t s : section_of) ++count_in[s];
  for (size_t s = 0; s < nprog_secs; ++s) {
    align(out, 8);
    Elf64_Shdr& h = shdr[s + 1];
    h.sh_name = add_str(shstrtab, sections[s]);
    h.sh_type = SHT_PROGBITS;
    h.sh_flags = SHF_ALLOC | SHF_EXECINSTR;
    h.sh_offset = out.size();
    h.sh_addralign = 8;
    for (uint32_t i = 0; i < count_in[s]; ++i) put(out, insns);
    h.sh_size = out.size() - h.sh_offset;
  }
  {
    align(out, 8);
    Elf64_Shdr& h = shdr[license_idx];
    h.sh_name = add_str(shstrtab, "license");
    h.sh_type = SHT_PROGBITS;
    h.sh_flags = SHF_ALLOC | SHF_WRITE;
    h.sh_offset = out.size();
    h.sh_addralign = 1;
    const char gpl[] = "GPL";
    out.insert(out.end(), gpl, gpl + sizeof(gpl));
    h.sh_size = sizeof(gpl);
  }
  {
    align(out, 8);
    Elf64_Shdr& h = shdr[symtab_idx];
    h.sh_name = add_str(shstrtab, ".symtab");
    h.sh_type = SHT_SYMTAB;
    h.sh_offset = out.size();
    h.sh_addralign = 8;
    h.sh_entsize = sizeof(Elf64_Sym);
    h.sh_link = strtab_idx;
    h.sh_info = 1;  // every symbol after the null one is global
    put(out, Elf64_Sym{});
    std::vector<uint32_t> next(nprog_secs, 0);
    for (size_t i = 0; i < programs.size(); ++i) {
      Elf64_Sym sym{};
      sym.st_name = add_str(strtab, programs[i].name);
      sym.st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
      sym.st_shndx = static_cast<uint16_t>(section_of[i] + 1);
      sym.st_value = next[section_of[i]]++ * sizeof(insns);
      sym.st_size = sizeof(insns);
      put(out, sym);
    }
    h.sh_size = out.size() - h.sh_offset;
  }
  for (auto [idx, tab] : {std::pair{strtab_idx, &strtab}, std::pair{shstrtab_idx, &shstrtab}}) {
    Elf64_Shdr& h = shdr[idx];
    h.sh_name = add_str(shstrtab, idx == strtab_idx ? ".strtab" : ".shstrtab");
    h.sh_type = SHT_STRTAB;
    h.sh_offset = out.size();
    h.sh_addralign = 1;
    out.insert(out.end(), tab->begin(), tab->end());
    h.sh_size = tab->size();
  }
  align(out, 8);
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_REL;
  eh.e_machine = EM_BPF;
  eh.e_version = EV_CURRENT;
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_shentsize = sizeof(Elf64_Shdr);
  eh.e_shnum = nsec;
  eh.e_shstrndx = shstrtab_idx;
  eh.e_shoff = out.size();
  for (const auto& h : shdr) put(out, h);
  std::memcpy(out.data(), &eh, sizeof(eh));
  return out;
}

const ProgramSpec kBpfObjectSpec = {
    .id = ProgramId::bpf_object,
    .summary = "your own object (--bpf-object FILE --ring MAP): opaque records of any size",
    .default_workload = WorkloadKind::write,
    .kinds = 1,
    .kinds_key = "by_kind",
    .format = format,
    .load = load,
    .kind_name = kind_name,
    .counts_matched = false,
    .expected = expected,
};

}  // namespace ringside
