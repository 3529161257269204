// Loading RunOptions from YAML and validating them: one table maps each config key to its field,
// the value it expects and its range, and both the loader and validate() check against it.
#include "config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <variant>

#include "cli.h"

namespace ringside {
namespace {

template <class T>
using Field = T& (*)(RunOptions&);

template <auto Member>
auto& top(RunOptions& o) { return o.*Member; }
template <auto Section, auto Member>
auto& sub(RunOptions& o) { return (o.*Section).*Member; }

constexpr auto kPipe = &RunOptions::pipeline;  // also agent.ebpf.{transport,wakeup,hook,ring_bytes}
constexpr auto kGov = &RunOptions::governor;
constexpr uint64_t kU32Max = std::numeric_limits<uint32_t>::max();
constexpr double kInf = std::numeric_limits<double>::infinity();

struct Flag { Field<bool> field; };
template <class T>
struct Count { Field<T> field; uint64_t lo, hi; bool power_of_two = false; };
struct Number { Field<double> field; double lo; bool lo_open; double hi; };
struct Text { Field<std::string> field; bool (*valid)(std::string_view); };
struct List { Field<std::vector<std::string>> field; bool (*valid)(const std::vector<std::string>&); };
using Rule = std::variant<Flag, Count<uint32_t>, Count<uint64_t>, Number, Text, List>;

struct Key {
  std::string_view path;
  std::string_view expect;  // "an integer ≥ 50": used for type and range errors alike
  Rule rule;
};

bool any_text(std::string_view) { return true; }
bool non_empty(std::string_view s) { return !s.empty(); }
bool transport_name(std::string_view s) { return s == "ringbuf" || s == "perfbuf"; }
bool hook_name(std::string_view s) { return s == "raw_tp" || s == "tracepoint"; }
bool queue_policy_name(std::string_view s) { return s == "drop" || s == "block"; }
bool wakeup_text(std::string_view s) { return parse_wakeup(s).has_value(); }
bool rate_text(std::string_view s) { return parse_rate(s).has_value(); }
bool ladder(const std::vector<std::string>& v) { return parse_degrade_ladder(v).has_value(); }
bool programs(const std::vector<std::string>& v) { return v == std::vector<std::string>{"syscall_tap"}; }

const Key kKeys[] = {
    {"agent.ebpf.enabled", "true or false", Flag{top<&RunOptions::ebpf_enabled>}},
    {"agent.ebpf.programs", "[syscall_tap]", List{top<&RunOptions::programs>, programs}},
    {"agent.ebpf.transport", "ringbuf or perfbuf",
     Text{sub<kPipe, &PipelineOptions::transport>, transport_name}},
    {"agent.ebpf.wakeup", "every, adaptive or batch:N with N in 1..1000000",
     Text{sub<kPipe, &PipelineOptions::wakeup>, wakeup_text}},
    {"agent.ebpf.hook", "raw_tp or tracepoint", Text{sub<kPipe, &PipelineOptions::hook>, hook_name}},
    {"agent.ebpf.ring_bytes", "a power of two in 4096..1073741824",
     Count<uint32_t>{sub<kPipe, &PipelineOptions::ring_bytes>, 4096, 1u << 30, true}},
    {"agent.ebpf.max_overhead_percent", "a number in (0, 100]",
     Number{sub<kGov, &GovernorOptions::max_overhead_percent>, 0, true, 100}},
    {"agent.ebpf.auto_disable_if_slow", "true or false", Flag{sub<kGov, &GovernorOptions::enabled>}},
    {"agent.ebpf.governor.window_ms", "an integer ≥ 50",
     Count<uint32_t>{sub<kGov, &GovernorOptions::window_ms>, 50, kU32Max}},
    {"agent.ebpf.governor.windows_over", "an integer in 1..1000",
     Count<uint32_t>{sub<kGov, &GovernorOptions::windows_over>, 1, 1000}},
    {"agent.ebpf.governor.max_drop_ratio", "a number in [0, 1]",
     Number{sub<kGov, &GovernorOptions::max_drop_ratio>, 0, false, 1}},
    {"agent.ebpf.governor.degrade",
     "a list of sample:N (N in 2..1000000, increasing), optionally ending in detach",
     List{sub<kGov, &GovernorOptions::degrade>, ladder}},
    {"agent.ebpf.governor.recover_after_windows", "an integer ≥ 0 (0 = never)",
     Count<uint32_t>{sub<kGov, &GovernorOptions::recover_after_windows>, 0, kU32Max}},
    {"agent.pipeline.workers", "an integer in 0..256 (0 = auto)",
     Count<uint32_t>{sub<kPipe, &PipelineOptions::workers>, 0, 256}},
    {"agent.pipeline.queue_policy", "drop or block",
     Text{sub<kPipe, &PipelineOptions::queue_policy>, queue_policy_name}},
    {"agent.pipeline.pool_size", "an integer in 1..16777216",
     Count<uint32_t>{sub<kPipe, &PipelineOptions::pool_size>, 1, 1u << 24}},
    {"agent.pipeline.queue_size", "an integer in 2..16777216",
     Count<uint32_t>{sub<kPipe, &PipelineOptions::queue_size>, 2, 1u << 24}},
    {"agent.pipeline.pin", "true or false", Flag{sub<kPipe, &PipelineOptions::pin>}},
    {"agent.pipeline.sink", "a file path, or empty for none",
     Text{sub<kPipe, &PipelineOptions::sink>, any_text}},
    {"agent.pipeline.inject_handler_delay_ns", "an integer in 0..1000000000",
     Count<uint64_t>{sub<kPipe, &PipelineOptions::inject_handler_delay_ns>, 0, 1'000'000'000}},
    {"run.workload", "write, openat, getppid, exec, connect or mixed",
     Text{top<&RunOptions::workload>, is_known_workload}},
    {"run.rate", "max or a positive integer (k or M suffix allowed)",
     Text{top<&RunOptions::rate>, rate_text}},
    {"run.threads", "an integer in 1..256", Count<uint32_t>{top<&RunOptions::threads>, 1, 256}},
    {"run.duration_s", "a number > 0", Number{top<&RunOptions::duration_s>, 0, true, kInf}},
    {"run.repeat", "an integer in 1..1000", Count<uint32_t>{top<&RunOptions::repeat>, 1, 1000}},
    {"run.budget_pct", "a number in (0, 100]", Number{top<&RunOptions::budget_pct>, 0, true, 100}},
    {"run.out", "a non-empty path", Text{top<&RunOptions::out>, non_empty}},
};

// Whether a field's current value satisfies its rule.
bool accepts(const Flag&, RunOptions&) { return true; }
template <class T>
bool accepts(const Count<T>& c, RunOptions& o) {
  const uint64_t v = c.field(o);
  return v >= c.lo && v <= c.hi && (!c.power_of_two || (v & (v - 1)) == 0);
}
bool accepts(const Number& n, RunOptions& o) {
  const double v = n.field(o);
  return std::isfinite(v) && (n.lo_open ? v > n.lo : v >= n.lo) && v <= n.hi;
}
bool accepts(const Text& t, RunOptions& o) { return t.valid(t.field(o)); }
bool accepts(const List& l, RunOptions& o) { return l.valid(l.field(o)); }

// A field's current value as an error shows it: 20, 0.5, 'xdp', [sample:8, sample:2].
std::string shown(const Flag& f, RunOptions& o) { return f.field(o) ? "true" : "false"; }
template <class T>
std::string shown(const Count<T>& c, RunOptions& o) { return fmt::format("{}", c.field(o)); }
std::string shown(const Number& n, RunOptions& o) { return fmt::format("{}", n.field(o)); }
std::string shown(const Text& t, RunOptions& o) { return fmt::format("'{}'", t.field(o)); }
std::string shown(const List& l, RunOptions& o) { return fmt::format("[{}]", fmt::join(l.field(o), ", ")); }

// "run.threads: expected an integer in 1..256, got 0" when the field breaks its key's rule.
std::optional<std::string> rule_error(const Key& key, RunOptions& o) {
  return std::visit(
      [&](const auto& rule) -> std::optional<std::string> {
        if (accepts(rule, o)) return std::nullopt;
        return fmt::format("{}: expected {}, got {}", key.path, key.expect, shown(rule, o));
      },
      key.rule);
}

// A YAML node as an error shows it when it has the wrong type.
std::string shown(const YAML::Node& node) {
  if (node.IsScalar()) return fmt::format("'{}'", node.Scalar());
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  return "nothing";
}

class Loader {
 public:
  Loader(std::string file, RunOptions& into) : file_(std::move(file)), into_(into) {}

  // Walks a mapping: leaves must be table keys, inner mappings prefixes of table keys.
  void load_map(const YAML::Node& map, const std::string& prefix) {
    for (const auto& entry : map) {
      if (!entry.first.IsScalar())
        fail(fmt::format("keys must be plain names, got {} in {}", shown(entry.first),
                         prefix.empty() ? "the top level" : prefix));
      std::string path = prefix.empty() ? entry.first.Scalar() : prefix + "." + entry.first.Scalar();
      if (!seen_.insert(path).second) fail("duplicate key " + path);
      if (const Key* key = find(path)) {
        assign(*key, entry.second);
      } else if (is_section(path)) {
        if (!entry.second.IsMap())
          fail(fmt::format("{}: expected a mapping, got {}", path, shown(entry.second)));
        load_map(entry.second, path);
      } else {
        fail("unknown key " + path);
      }
    }
  }

  [[noreturn]] void fail(std::string_view message) const {
    throw UsageError(fmt::format("config {}: {}", file_, message));
  }

 private:
  static const Key* find(std::string_view path) {
    for (const Key& key : kKeys)
      if (key.path == path) return &key;
    return nullptr;
  }
  static bool is_section(const std::string& path) {
    for (const Key& key : kKeys)
      if (key.path.starts_with(path + ".")) return true;
    return false;
  }

  // Converts the node into the key's field (type errors show the YAML), then checks the rule.
  void assign(const Key& key, const YAML::Node& node) {
    std::visit([&](const auto& rule) { read(rule, node, key); }, key.rule);
    if (auto error = rule_error(key, into_)) fail(*error);
  }

  [[noreturn]] void wrong_type(const Key& key, const YAML::Node& node) const {
    fail(fmt::format("{}: expected {}, got {}", key.path, key.expect, shown(node)));
  }
  void read(const Flag& f, const YAML::Node& node, const Key& key) {
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, f.field(into_))) wrong_type(key, node);
  }
  template <class T>
  void read(const Count<T>& c, const YAML::Node& node, const Key& key) {
    if (!node.IsScalar()) wrong_type(key, node);
    const std::string& text = node.Scalar();
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) wrong_type(key, node);
    // Out of range is reported before narrowing to the field's width.
    if (v > c.hi) fail(fmt::format("{}: expected {}, got {}", key.path, key.expect, text));
    c.field(into_) = static_cast<T>(v);
  }
  void read(const Number& n, const YAML::Node& node, const Key& key) {
    if (!node.IsScalar()) wrong_type(key, node);
    const std::string& text = node.Scalar();
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n.field(into_));
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) wrong_type(key, node);
  }
  void read(const Text& t, const YAML::Node& node, const Key& key) {
    if (!node.IsScalar() && !node.IsNull()) wrong_type(key, node);
    t.field(into_) = node.IsScalar() ? node.Scalar() : std::string();  // `sink:` alone means empty
  }
  void read(const List& l, const YAML::Node& node, const Key& key) {
    if (!node.IsSequence()) wrong_type(key, node);
    std::vector<std::string> items;
    for (const auto& item : node) {
      if (!item.IsScalar()) wrong_type(key, node);
      items.push_back(item.Scalar());
    }
    l.field(into_) = std::move(items);
  }

  std::string file_;
  RunOptions& into_;
  std::set<std::string> seen_;
};

}  // namespace

void load_config_file(const std::string& path, RunOptions& into) {
  Loader loader(path, into);
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) loader.fail("cannot read: is a directory");
  std::ifstream in(path);
  if (!in) {
    std::string reason = std::strerror(errno);
    if (!reason.empty()) reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
    loader.fail("cannot read: " + reason);
  }
  YAML::Node root;
  try {
    root = YAML::Load(in);
  } catch (const YAML::Exception& e) {
    loader.fail(fmt::format("line {}, column {}: {}", e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  if (root.IsNull()) return;  // an empty file changes nothing
  if (!root.IsMap()) loader.fail(fmt::format("expected a mapping at the top level, got {}", shown(root)));
  loader.load_map(root, "");
}

void validate(const RunOptions& options) {
  RunOptions copy = options;  // the table's accessors are non-const
  for (const Key& key : kKeys)
    if (auto error = rule_error(key, copy)) throw UsageError(*error);
}

std::vector<std::string> config_keys() {
  std::vector<std::string> keys;
  for (const Key& key : kKeys) keys.emplace_back(key.path);
  return keys;
}

}  // namespace ringside
