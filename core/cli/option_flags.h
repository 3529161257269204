// The table options (config/option_table.h) as command-line flags, resolved as:
// defaults ← --config file ← the flags given, every value through its option's parser.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "option_table.h"

namespace ringside {

class OptionFlags {
 public:
  void add_config(CLI::App* app);
  // Adds a flag for every option of `group` that has one.
  void add(CLI::App* app, OptionGroup group);
  void add_out(CLI::App* app, const std::string& default_out);

  // The resolved options. Flags named in `lists` take comma lists the caller splits (run
  // --transport ringbuf,perfbuf): they are left at their config/default value, see text().
  [[nodiscard]] RunOptions resolve(const std::set<std::string_view>& lists = {}) const;
  // Whether the option was set by a flag or by the config file (after resolve()).
  [[nodiscard]] bool given(std::string_view key) const;
  // The text a flag was given, if it was.
  [[nodiscard]] std::optional<std::string> text(std::string_view flag) const;

 private:
  struct Bound {
    const OptionSpec* spec = nullptr;
    CLI::Option* option = nullptr;
    std::string text;
    std::vector<std::string> items;  // list options: the flag may repeat (--rodata a=1 --rodata b=2)
    bool on = false;                 // switches
    [[nodiscard]] std::string value() const;
  };
  std::vector<std::unique_ptr<Bound>> bound_;  // CLI11 writes into these
  std::string config_path_;
  std::string default_out_ = "ringside-out";
  mutable std::set<std::string, std::less<>> given_;
  mutable bool noticed_ = false;  // the ignored-sections notice, once
};

}  // namespace ringside
