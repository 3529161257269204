// results.json (schema ringside.results/v1) from the typed results model — the one place the
// results are written as JSON. Field names are documented in the README.
#pragma once

#include <nlohmann/json.hpp>

#include "capability_probe.h"
#include "model.h"
#include "options.h"

namespace ringside {

nlohmann::json to_json(const Results& r);
nlohmann::json to_json(const Summary& s);
nlohmann::json to_json(const EventCounts& e);
nlohmann::json to_json(const StageLatency& l);
nlohmann::json to_json(const CpuCost& c);
nlohmann::json to_json(const GovernorReport& g);
nlohmann::json to_json(const ProbeReport& p);  // `probe --json`: ringside.probe/v1

// The host block: the machine from the probe, and the pipeline configuration measured.
HostInfo host_of(const ProbeReport& probe);
HostInfo host_of(const ProbeReport& probe, const PipelineOptions& pipeline);

}  // namespace ringside
