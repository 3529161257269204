// Writing results.json into a results directory.
#pragma once

#include "model.h"
#include "output_dir.h"

namespace ringside {

// DIR/results.json, pretty-printed; invalid UTF-8 in strings (an agent's command line) is
// replaced, never a reason to lose the run. Throws UsageError when it cannot be written.
void write_results(const OutputDir& dir, const Results& results);

}  // namespace ringside
