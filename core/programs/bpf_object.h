// --bpf-object: a user's own BPF object under the harness. The object is opened with libbpf, its
// const volatile globals set from --rodata, loaded, and every program attached by its SEC(); its
// --ring map is read by ringside's sources and pipeline, its records opaque bytes.
//
// The floor of a user's object (run's `floor` phase): the same SEC()s, attached the same way,
// each program's body replaced by `return 0` — what reaching the object's hooks costs before its
// code does any work. The stub object is generated at run time (an ELF relocatable with one
// two-instruction program per original program, in a section of the original's name), so libbpf
// attaches it exactly as it attaches the object.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "options.h"
#include "types.h"

namespace ringside {

// Opens `o.file` and checks the ring, every --rodata name and value width, every drop counter;
// throws UsageError with one line naming what is wrong. `resize_ring`: the ring buffer's size
// when --ring-bytes was given (0: the object's own).
BpfObjectInfo inspect_bpf_object(const BpfObjectOptions& o, uint32_t resize_ring);

// The floor's stub: an ELF BPF object with `return 0` programs of these names in these sections.
std::vector<uint8_t> stub_object(const std::vector<BpfObjectProgram>& programs);

}  // namespace ringside
