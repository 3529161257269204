// The YAML config loader as `--config F` runs it: the file's text onto the defaults. Bad input
// must be a one-line UsageError (what main prints as "ringside: ..."); anything else escaping,
// or options loaded that validate() then rejects, is a finding.
#include <cstdint>
#include <exception>

#include "config_file.h"
#include "fuzz_support.h"
#include "option_table.h"
#include "usage_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ringside;
  static fuzz::InputFile file;
  const std::string& path = file.write(data, size);
  RunOptions options;
  ConfigFileRead read;
  try {
    read = load_config_file(path, options);
  } catch (const UsageError& e) {
    fuzz::expect_one_line(e.what(), "load_config_file");
    return 0;
  }
  // what loaded is what the commands then run with: every field reads back through its parser
  try {
    validate(options);
  } catch (const UsageError& e) {
    fuzz::finding("the file loaded but validate() rejects it: {}", e.what());
  }
  for (const std::string& key : read.set)
    if (find_option(key) == nullptr) fuzz::finding("set an unknown key {}", key);
  return 0;
}
