// `--rate` for the commands: "max" or a positive number of ops/s with an optional k/M suffix.
// The grammar itself is options.h's parse_rate (one grammar for flags and config files); this adds
// the command-line error and a display form.
#pragma once

#include <string>

namespace ringside {

// "max" → 0 (unpaced); "5000" → 5000; "10k" → 10000; "2.5M" → 2500000 ops per second (rounded to
// a whole op/s). Throws UsageError ("invalid rate '12x': …") on junk, below 1, or above kMaxRate.
double parse_rate(const std::string& text);

// The inverse for display: 0 → "max", 10000 → "10k", 2000000 → "2M", 1234 → "1234".
std::string format_rate(double ops_per_sec);

}  // namespace ringside
