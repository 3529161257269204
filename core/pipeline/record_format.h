// How the pipeline recognises the records of a run: each program's layout and size rules, and
// the classification every record goes through on the consumer thread before it is copied.
#pragma once

#include <array>
#include <cstddef>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include <linux/types.h>

#include "rs_record.h"
}

#include "event.h"
#include "stages.h"

namespace ringside {

static_assert(sizeof(rs_hdr) == 32, "rs_hdr is shared with BPF: 32 bytes");

// One program of the run as the pipeline sees its records.
struct ProgramFormat {
  std::string name;
  // ringside records start with rs_hdr (rs_record.h); foreign ones are opaque bytes.
  bool has_header = true;
  uint8_t prog_id = 0;      // rs_hdr.prog (has_header)
  uint32_t min_bytes = 0;   // a valid record's size, header included, within these bounds
  uint32_t max_bytes = 0;
  uint16_t kinds = 1;       // rs_hdr.kind < kinds
  int32_t user_ts_offset = -1;    // has_header: offset of the u64 workload stamp (RS_F_USER), -1 = none
  int32_t submit_ts_offset = -1;  // opaque: offset of a u64 bpf_ktime_get_ns(), -1 = none
  StageMask stages = kAllStages;  // the stages its records can measure
  // The program's fields as JSON members for the sink ("\"nr\":1,\"args\":[…]"), or null.
  void (*to_json)(const uint8_t* record, uint32_t size, std::string& out) = nullptr;
};

class RecordFormat {
 public:
  RecordFormat() = default;
  // `perf_padding`: perf buffer samples are padded by the kernel (raw size = record + up to 7
  // bytes), ring buffer records are exact.
  RecordFormat(std::vector<ProgramFormat> programs, bool perf_padding);

  [[nodiscard]] const std::vector<ProgramFormat>& programs() const noexcept { return programs_; }
  // Bytes the largest record of the run occupies in a pooled event.
  [[nodiscard]] uint32_t max_record_bytes() const noexcept { return max_bytes_; }

  static constexpr int kUnattributed = -1;
  struct Verdict {
    int slot = kUnattributed;  // the program it belongs to, or kUnattributed (unknown program)
    bool valid = false;        // sizes and kind within the program's rules
  };
  // Validates one record and fills the event's decoded fields (when valid). Hot path.
  Verdict classify(const uint8_t* data, std::size_t size, Event& e) const noexcept;

 private:
  Verdict classify_opaque(const uint8_t* data, std::size_t size, Event& e) const noexcept;
  // What classify() needs of a program, packed: one cache line holds several.
  struct Rule {
    uint32_t min_bytes = 0, max_bytes = 0;
    uint16_t kinds = 0;
    int16_t user_ts_offset = -1;
  };
  std::vector<ProgramFormat> programs_;
  std::vector<Rule> rules_;
  std::array<int16_t, 256> slot_of_prog_{};  // rs_hdr.prog → slot, kUnattributed if not in the run
  int opaque_slot_ = kUnattributed;
  bool perf_padding_ = false;
  uint32_t max_bytes_ = 0;
};

// Inline: it runs once per record on the consumer thread.
inline RecordFormat::Verdict RecordFormat::classify(const uint8_t* data, std::size_t size, Event& e) const noexcept {
  if (opaque_slot_ != kUnattributed) return classify_opaque(data, size, e);
  if (size < sizeof(rs_hdr)) return {};
  // Field by field from the record (no copy of the whole header first).
  const auto field = [data](auto& out, std::size_t offset) { std::memcpy(&out, data + offset, sizeof(out)); };
  uint16_t rsize, kind;
  uint8_t prog, flags;
  field(rsize, offsetof(rs_hdr, size));
  field(prog, offsetof(rs_hdr, prog));
  const int slot = slot_of_prog_[prog];
  if (slot == kUnattributed) return {};
  field(kind, offsetof(rs_hdr, kind));
  const Rule& p = rules_[static_cast<std::size_t>(slot)];
  // ring buffer records are exactly their size; perf samples carry the kernel's padding
  const bool size_ok = perf_padding_ ? rsize <= size && size - rsize < 8 : rsize == size;
  const bool valid = size_ok & (rsize >= p.min_bytes) & (rsize <= p.max_bytes) & ((rsize & 7) == 0) & (kind < p.kinds);
  if (!valid) return {slot, false};
  field(flags, offsetof(rs_hdr, flags));
  e.slot = static_cast<uint16_t>(slot);
  e.size = rsize;
  e.kind = kind;
  field(e.tgid, offsetof(rs_hdr, tgid));
  field(e.t_submit, offsetof(rs_hdr, t_submit));
  e.t_hook = 0;
  if (flags & RS_F_STAMPED) field(e.t_hook, offsetof(rs_hdr, t_hook));
  e.t_first = e.t_hook ? e.t_hook : e.t_submit;
  if ((flags & RS_F_USER) && p.user_ts_offset >= 0 && static_cast<uint32_t>(p.user_ts_offset) + 8 <= rsize) {
    uint64_t t_user;
    field(t_user, static_cast<std::size_t>(p.user_ts_offset));
    if (t_user && (!e.t_hook || t_user <= e.t_hook)) e.t_first = t_user;
    else flags = static_cast<uint8_t>(flags & ~RS_F_USER);
  } else {
    flags = static_cast<uint8_t>(flags & ~RS_F_USER);
  }
  e.flags = flags;
  return {slot, true};
}

}  // namespace ringside
