// The catalog of reference programs, by ProgramId (types.h). Adding a program: its stem in bpf/
// (<name>.bpf.c + <name>.h), its ProgramSpec in <name>.cpp here, one line in registry.cpp.
#pragma once

#include <span>

#include "program.h"

namespace ringside {

extern const ProgramSpec kSyscallTapSpec, kFileOpsSpec, kExecSpec, kTcpConnectSpec, kFunctionTimingSpec,
    kMemoryAllocSpec;
extern const ProgramSpec kBpfObjectSpec;  // a user's object (--bpf-object): not in catalog()
extern const ProgramSpec kLeanTapSpec;    // the bare phase's minimal syscall tap: not in catalog()

[[nodiscard]] const ProgramSpec& program_spec(ProgramId id);
[[nodiscard]] std::span<const ProgramSpec* const> catalog();

}  // namespace ringside
