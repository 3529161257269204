#include "write_results.h"

#include "results_json.h"

namespace ringside {

void write_results(const OutputDir& dir, const Results& results) {
  const std::string text =
      to_json(results).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  dir.write_file("results.json", text);
}

}  // namespace ringside
