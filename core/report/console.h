// What the commands print: progress lines and summaries, from the same typed results the JSON
// is written from.
#pragma once

#include <string>
#include <string_view>

#include "model.h"
#include "options.h"

namespace ringside {

// "[label] line" progress on stderr: rewritten in place on a terminal, one line each otherwise.
class Progress {
 public:
  explicit Progress(std::string label = {});
  void operator()(std::string_view line) const;
  void done() const;  // ends the in-place line on a terminal

 private:
  std::string label_;
  bool tty_;
};

void print_run_summary(const RunOptions& o, const Summary& s);
void print_trace_summary(const TraceScenario& t, const Summary& s);
void print_sweep_point(const SweepPoint& p);
void print_capacity(const SweepResult& s, int cpus);
void print_governor_validation(const GovernorValidation& v);
void print_measure_phase(const MeasurePhase& r, int repeat, int cpus);
void print_measure_summary(const MeasureScenario& sc, const MeasureSummary& s);

}  // namespace ringside
