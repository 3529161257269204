#include "registry.h"

#include <array>
#include <stdexcept>

namespace ringside {
namespace {

const std::array<const ProgramSpec*, 1> kCatalog = {&kSyscallTapSpec};

}  // namespace

std::string_view name_of(const ProgramSpec& spec) { return to_string(spec.id); }

const ProgramSpec& program_spec(ProgramId id) {
  for (const ProgramSpec* s : kCatalog)
    if (s->id == id) return *s;
  throw std::logic_error("program missing from the catalog");
}

std::span<const ProgramSpec* const> catalog() { return kCatalog; }

}  // namespace ringside
