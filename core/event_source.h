// One consumer interface over the BPF ring buffer and the perf buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "syscall_tap_loader.h"

namespace ringside {

// Called for every record with the raw bytes (not yet size-checked). Returns nothing: the
// callee counts its own drops.
struct RecordSink {
  virtual ~RecordSink() = default;
  virtual void on_batch_start() noexcept = 0;  // records are about to be read
  virtual void on_record(const void* data, std::size_t size) noexcept = 0;
  virtual void on_batch_end() noexcept = 0;
};

class EventSource {
 public:
  virtual ~EventSource() = default;
  // Waits up to timeout_ms for data (kernel wake-up), then reads everything available.
  // Returns records read, or -errno (-EINTR is not an error).
  virtual int poll(int timeout_ms) = 0;
  // Reads whatever is available without waiting (the final drain).
  virtual int drain() = 0;
  // Samples the kernel reported lost through the perf buffer's lost-samples records.
  [[nodiscard]] virtual uint64_t lost_reported() const = 0;
  [[nodiscard]] virtual const char* name() const = 0;
};

// Builds the source matching the tap's transport; throws std::runtime_error.
std::unique_ptr<EventSource> make_event_source(const SyscallTap& tap, RecordSink& sink);

}  // namespace ringside
