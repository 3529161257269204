// What the pipeline consumes: a source of records (ring buffer, perf buffer, memory) that hands
// each record's bytes to a sink on the reading thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ringside {

// Called on the reading thread for every record, with its raw bytes (not yet validated); the
// callee counts its own drops. A batch is one read pass over the transport.
struct RecordSink {
  virtual ~RecordSink() = default;
  virtual void on_batch_start() noexcept = 0;  // records are about to be read
  virtual void on_record(const void* data, std::size_t size) noexcept = 0;
  virtual void on_batch_end() noexcept = 0;
};

class EventSource {
 public:
  virtual ~EventSource() = default;
  // Waits up to timeout_ms (-1: until data or interrupt()) for data, then reads what is
  // available. Returns records read, or -errno (-EINTR is not an error).
  virtual int poll(int timeout_ms) = 0;
  // Reads whatever is available without waiting (the final drain).
  virtual int drain() = 0;
  // Makes a poll() that waits (now or next) return at once; callable from any thread.
  virtual void interrupt() noexcept = 0;
  // Records the kernel reported lost through the perf buffer's lost-samples records.
  [[nodiscard]] virtual uint64_t lost_reported() const = 0;
  [[nodiscard]] virtual const char* name() const = 0;
};

}  // namespace ringside
