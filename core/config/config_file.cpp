// Loading RunOptions from YAML: walks the mapping, finds each leaf in the option table and hands
// its text to the option's parser.
#include "config_file.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <optional>
#include <set>
#include <vector>

#include "option_table.h"
#include "usage_error.h"

namespace ringside {
namespace {

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
      if (const OptionSpec* spec = find_option(path)) {
        assign(*spec, entry.second);
        read_.set.push_back(path);
      } else if (is_section(path)) {
        if (!entry.second.IsMap()) fail(fmt::format("{}: expected a mapping, got {}", path, shown(entry.second)));
        load_map(entry.second, path);
      } else if (!owned(prefix)) {
        // the rest of an agent's config is not ours to judge, but a near miss of ours is a typo
        if (const auto near = near_miss(prefix, entry.first.Scalar()))
          fail(fmt::format("unknown key {} (did you mean {}?)", path, *near));
        read_.ignored.push_back(path);
      } else {
        fail("unknown key " + path);
      }
    }
  }

  [[noreturn]] void fail(std::string_view message) const {
    throw UsageError(fmt::format("config {}: {}", file_, message));
  }

  ConfigFileRead take() { return std::move(read_); }

 private:
  // Inside these, every key must be one of ours; elsewhere unknown sections belong to the agent.
  static bool owned(const std::string& prefix) {
    return prefix == "run" || prefix.starts_with("agent.ebpf") || prefix.starts_with("agent.pipeline") ||
           prefix.starts_with("run.");
  }

  // One of our names under `prefix` within two edits of `name` ("runn" → "run").
  static std::optional<std::string> near_miss(const std::string& prefix, const std::string& name) {
    const auto distance = [](std::string_view a, std::string_view b) {
      std::vector<std::size_t> row(b.size() + 1);
      for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
      for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
          const std::size_t up = row[j];
          row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
          diag = up;
        }
      }
      return row[b.size()];
    };
    const std::string head = prefix.empty() ? "" : prefix + ".";
    for (const OptionSpec& s : option_specs()) {
      if (!s.key.starts_with(head)) continue;
      const std::string_view rest = s.key.substr(head.size());
      const std::string ours(rest.substr(0, rest.find('.')));
      if (ours != name && distance(ours, name) <= std::min<std::size_t>(2, ours.size() / 2)) return head + ours;
    }
    return std::nullopt;
  }

  static bool is_section(const std::string& path) {
    for (const OptionSpec& s : option_specs())
      if (s.key.starts_with(path + ".")) return true;
    return false;
  }

  // The node as the option's text: a scalar as written, a list joined with ','.
  void assign(const OptionSpec& spec, const YAML::Node& node) {
    std::string text;
    if (spec.is_list) {
      if (!node.IsSequence()) wrong_type(spec, node);
      for (const auto& item : node) {
        if (!item.IsScalar()) wrong_type(spec, node);
        text += (text.empty() ? "" : ",") + item.Scalar();
      }
    } else if (node.IsScalar()) {
      text = node.Scalar();
    } else if (!node.IsNull()) {  // `sink:` alone means empty
      wrong_type(spec, node);
    }
    if (auto error = spec.assign(into_, text)) fail(fmt::format("{}: {}", spec.key, *error));
  }

  [[noreturn]] void wrong_type(const OptionSpec& spec, const YAML::Node& node) const {
    fail(fmt::format("{}: expected {}, got {}", spec.key, spec.expect, shown(node)));
  }

  std::string file_;
  RunOptions& into_;
  std::set<std::string> seen_;
  ConfigFileRead read_;
};

}  // namespace

ConfigFileRead load_config_file(const std::string& path, RunOptions& into) {
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
  if (root.IsNull()) return {};  // an empty file changes nothing
  if (!root.IsMap()) loader.fail(fmt::format("expected a mapping at the top level, got {}", shown(root)));
  loader.load_map(root, "");
  return loader.take();
}

}  // namespace ringside
