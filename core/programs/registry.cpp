#include "registry.h"

#include <array>
#include <stdexcept>

namespace ringside {
namespace {

const std::array<const ProgramSpec*, 6> kCatalog = {&kSyscallTapSpec,  &kFileOpsSpec,        &kExecSpec,
                                                   &kTcpConnectSpec, &kFunctionTimingSpec, &kMemoryAllocSpec};

}  // namespace

std::string_view name_of(const ProgramSpec& spec) { return to_string(spec.id); }

std::optional<uint64_t> expected_events(const ProgramSpec& spec, const WorkloadResult& truth,
                                        const LoadOptions& options) {
  if (spec.expected) return spec.expected(truth, options);
  uint64_t n = 0;
  for (uint16_t k = 0; k < spec.kinds; ++k) {
    if (spec.records_kind && !spec.records_kind(k, options)) continue;
    const auto it = truth.by_syscall.find(spec.kind_name(k));
    if (it != truth.by_syscall.end()) n += it->second;
  }
  return n;
}

const ProgramSpec& program_spec(ProgramId id) {
  if (id == ProgramId::bpf_object) return kBpfObjectSpec;
  if (id == ProgramId::lean_tap) return kLeanTapSpec;
  for (const ProgramSpec* s : kCatalog)
    if (s->id == id) return *s;
  throw std::logic_error("program missing from the catalog");
}

std::span<const ProgramSpec* const> catalog() { return kCatalog; }

}  // namespace ringside
