// Copying a transport record out into a pooled event: size-checked, then memcpy.
#pragma once

#include <cstddef>
#include <cstring>

#include "event.h"

namespace ringside {

// Returns false (and leaves `out` untouched) when the record is not exactly one rs_event.
[[nodiscard]] inline bool copy_record(const void* data, std::size_t size, Event& out) noexcept {
  if (size < sizeof(rs_event) || data == nullptr) return false;
  std::memcpy(&out.rec, data, sizeof(rs_event));
  return true;
}

}  // namespace ringside
