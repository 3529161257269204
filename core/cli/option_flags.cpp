#include "option_flags.h"

#include "config_file.h"

#include <fmt/format.h>

namespace ringside {

void OptionFlags::add_config(CLI::App* app) {
  app->add_option("--config", config_path_, "YAML config (agent.ebpf.*, agent.pipeline.*, run.*); flags override it");
}

void OptionFlags::add(CLI::App* app, OptionGroup group) {
  for (const OptionSpec& spec : option_specs()) {
    if (spec.group != group || spec.flag.empty()) continue;
    auto b = std::make_unique<Bound>();
    b->spec = &spec;
    const std::string flag(spec.flag), help(spec.help);
    if (spec.is_switch) b->option = app->add_flag(flag, b->on, help);
    else if (spec.is_list) b->option = app->add_option(flag, b->items, help)->allow_extra_args(false);
    else b->option = app->add_option(flag, b->text, help);
    bound_.push_back(std::move(b));
  }
}

void OptionFlags::add_out(CLI::App* app, const std::string& default_out) {
  default_out_ = default_out;
  add(app, OptionGroup::out);
  for (auto& b : bound_)
    if (b->spec->group == OptionGroup::out) b->option->description("results directory (default " + default_out + ")");
}

RunOptions OptionFlags::resolve(const std::set<std::string_view>& lists) const {
  RunOptions o;
  o.out = default_out_;
  given_.clear();
  if (!config_path_.empty()) {
    const ConfigFileRead read = load_config_file(config_path_, o);
    for (const std::string& key : read.set) given_.insert(key);
    if (!read.ignored.empty() && !noticed_) {
      std::string list;
      for (const std::string& k : read.ignored) list += (list.empty() ? "" : ", ") + k;
      fmt::print(stderr, "ringside: config {}: ignoring what is not ringside's: {}\n", config_path_, list);
      noticed_ = true;
    }
  }
  for (const auto& b : bound_) {
    if (b->option->count() == 0) continue;
    given_.insert(std::string(b->spec->key));
    if (lists.count(b->spec->flag)) continue;
    assign_option(*b->spec, o, b->spec->is_switch ? "true" : b->value(), b->spec->flag);
  }
  return o;
}

bool OptionFlags::given(std::string_view key) const { return given_.find(key) != given_.end(); }

std::optional<std::string> OptionFlags::text(std::string_view flag) const {
  for (const auto& b : bound_)
    if (b->spec->flag == flag && b->option->count() > 0) return b->value();
  return std::nullopt;
}

std::string OptionFlags::Bound::value() const {
  if (!spec->is_list) return text;
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

}  // namespace ringside
