#include "record_format.h"

#include <cstring>
#include <stdexcept>

namespace ringside {

RecordFormat::RecordFormat(std::vector<ProgramFormat> programs, bool perf_padding)
    : programs_(std::move(programs)), perf_padding_(perf_padding) {
  slot_of_prog_.fill(kUnattributed);
  for (std::size_t i = 0; i < programs_.size(); ++i) {
    const ProgramFormat& p = programs_[i];
    if (p.max_bytes < p.min_bytes) throw std::invalid_argument("record format: max_bytes < min_bytes");
    if (p.has_header) {
      if (p.min_bytes < sizeof(rs_hdr)) throw std::invalid_argument("record format: records hold at least a header");
      slot_of_prog_[p.prog_id] = static_cast<int16_t>(i);
    } else {
      if (programs_.size() != 1) throw std::invalid_argument("record format: an opaque program runs alone");
      opaque_slot_ = static_cast<int>(i);
    }
    max_bytes_ = std::max(max_bytes_, p.max_bytes);
    rules_.push_back({p.min_bytes, p.max_bytes, p.kinds, static_cast<int16_t>(p.user_ts_offset)});
  }
}

RecordFormat::Verdict RecordFormat::classify_opaque(const uint8_t* data, std::size_t size, Event& e) const noexcept {
  const ProgramFormat& p = programs_[static_cast<std::size_t>(opaque_slot_)];
  Verdict v{opaque_slot_, size >= p.min_bytes && size > 0};
  e.slot = static_cast<uint16_t>(opaque_slot_);
  e.size = static_cast<uint32_t>(size);
  e.kind = 0;
  e.tgid = 0;
  e.flags = 0;
  e.t_hook = 0;
  e.t_submit = 0;
  if (p.submit_ts_offset >= 0 && size >= static_cast<std::size_t>(p.submit_ts_offset) + 8)
    std::memcpy(&e.t_submit, data + p.submit_ts_offset, 8);
  else if (p.submit_ts_offset >= 0)
    v.valid = false;  // too short to carry the timestamp it must carry
  e.t_first = e.t_submit;
  return v;
}

}  // namespace ringside
