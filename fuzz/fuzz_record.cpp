// Records as the consumer thread meets them: bytes a BPF program (or a foreign agent's) wrote,
// walked out of a ring buffer laid out as the kernel maps it (or handed over as perf buffer
// samples), classified against the run's record formats, copied into an event, accounted, and
// formatted as the sink's JSON line by the program's decoder. The record bytes are untrusted;
// the ring's own 8-byte headers are the kernel's, so the walk gets kernel-shaped headers (any
// length that fits, discard and busy bits) around them.
//
// Input: byte 0 picks the run (bit 0 perf buffer, bit 1 a foreign opaque program, bits 2-3 the
// syscall_tap payload), byte 1 the catalog programs in the run (bit per program, 0 = all), byte 2
// the ring's start position; then records, each a little-endian u16 (bits 0-11 length, bit 14
// busy, bit 15 discarded) and that many bytes.
#include <linux/bpf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <set>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "aggregate.h"
#include "event.h"
#include "fuzz_support.h"
#include "record_format.h"
#include "registry.h"
#include "ring_reader.h"
#include "sink_writer.h"

namespace ringside {
namespace {

using fuzz::finding;

constexpr std::size_t kRingBytes = 16384;

// A ring mapped twice back to back through a memfd, as the kernel maps a BPF ring buffer.
class Ring {
 public:
  Ring() {
    const int fd = memfd_create("fuzz-ring", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, kRingBytes) != 0) finding("memfd");
    auto* area = static_cast<uint8_t*>(mmap(nullptr, 2 * kRingBytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (area == MAP_FAILED) finding("mmap");
    for (int copy = 0; copy < 2; ++copy)
      if (mmap(area + copy * kRingBytes, kRingBytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED)
        finding("mmap copy");
    close(fd);
    data = area;
  }
  void put(unsigned long at, const void* bytes, std::size_t n) {
    std::memcpy(data + (at & (kRingBytes - 1)), bytes, n);  // the second mapping takes any overhang
  }
  uint8_t* data = nullptr;
  unsigned long consumer = 0, producer = 0;
};

struct Input {
  const uint8_t* p;
  std::size_t n;
  bool take(std::size_t k) const { return n >= k; }
  uint8_t byte() { return --n, *p++; }
};

struct RecordIn {
  std::vector<uint8_t> bytes;
  bool busy = false, discarded = false;
};

std::vector<RecordIn> split(Input in) {
  std::vector<RecordIn> out;
  while (in.take(2)) {
    const uint16_t word = static_cast<uint16_t>(in.byte() | in.byte() << 8);
    RecordIn r;
    const std::size_t len = std::min<std::size_t>(word & 0x0fff, in.n);
    r.bytes.assign(in.p, in.p + len);
    in.p += len;
    in.n -= len;
    r.busy = word & 0x4000;
    r.discarded = word & 0x8000;
    out.push_back(std::move(r));
  }
  return out;
}

// One run's formats, and the catalog spec behind each slot (null for the foreign program).
struct Run {
  RecordFormat format;
  std::vector<const ProgramSpec*> specs;
  LoadOptions options;
  std::unique_ptr<Accumulator> acc;
};

Run& run_for(uint8_t mode, uint8_t mask) {
  static std::map<uint16_t, std::unique_ptr<Run>> runs;
  const bool perf = mode & 1, opaque = mode & 2;
  const uint16_t key = static_cast<uint16_t>((mode & 0x0f) << 8 | (opaque ? 0 : mask & 0x3f));
  if (auto it = runs.find(key); it != runs.end()) return *it->second;
  if (runs.size() >= 32) runs.clear();  // an Accumulator holds MBs of histograms: keep RSS bounded
  auto& slot = runs[key];
  slot = std::make_unique<Run>();
  Run& run = *slot;
  run.options.transport = perf ? Transport::perfbuf : Transport::ringbuf;
  run.options.payload_bytes = std::array<uint32_t, 4>{0, 64, 256, 4096}[(mode >> 2) & 3];
  run.options.syscalls = {0, 1, 257};
  std::vector<ProgramFormat> formats;
  if (opaque) {
    ProgramFormat f;
    f.name = "foreign";
    f.has_header = false;
    f.min_bytes = 8;
    f.max_bytes = 128;  // larger records are copied in part, as the pipeline does
    f.submit_ts_offset = 8;
    formats.push_back(f);
    run.specs.push_back(nullptr);
  } else {
    const auto catalog_specs = catalog();
    for (std::size_t i = 0; i < catalog_specs.size(); ++i) {
      if ((mask & 0x3f) != 0 && !(mask & (1u << i))) continue;
      formats.push_back(catalog_specs[i]->format(run.options));
      run.specs.push_back(catalog_specs[i]);
    }
  }
  run.format = RecordFormat(std::move(formats), perf);
  run.acc = std::make_unique<Accumulator>(run.format);
  return run;
}

// An event slot exactly as large as the pipeline's smallest, so ASan sees any read past it.
struct EventSlot {
  explicit EventSlot(std::size_t record_room)
      : bytes(sizeof(Event) + record_room),
        mem(static_cast<uint8_t*>(::operator new(bytes, std::align_val_t{alignof(Event)}))) {}
  ~EventSlot() { ::operator delete(mem, std::align_val_t{alignof(Event)}); }
  std::size_t bytes;
  uint8_t* mem;
  Event& event() { return *new (mem) Event{}; }
};

// What Pipeline::on_record and a worker do with one record, minus the threads.
void consume(Run& run, const uint8_t* data, std::size_t size) {
  std::vector<uint8_t> exact(data, data + size);  // heap-exact: the classifier reads only these
  EventSlot slot(run.format.max_record_bytes());
  Event& e = slot.event();
  const RecordFormat::Verdict v = run.format.classify(exact.data(), exact.size(), e);
  const auto& programs = run.format.programs();
  if (v.slot != RecordFormat::kUnattributed && (v.slot < 0 || static_cast<std::size_t>(v.slot) >= programs.size()))
    finding("classify: slot {} of {}", v.slot, programs.size());
  if (!v.valid) return;
  if (v.slot == RecordFormat::kUnattributed) finding("classify: valid but unattributed");
  const ProgramFormat& p = programs[static_cast<std::size_t>(v.slot)];
  if (p.has_header) {
    if (e.size < p.min_bytes || e.size > p.max_bytes || e.size % 8 != 0 || e.kind >= p.kinds)
      finding("classify: {} record of {} bytes, kind {} passed its rules", p.name, e.size, e.kind);
    const bool perf = run.options.transport == Transport::perfbuf;
    if (perf ? (e.size > size || size - e.size >= 8) : e.size != size)
      finding("classify: header size {} for a record of {} bytes", e.size, size);
    if (e.t_first != e.t_submit && e.t_first != e.t_hook && !(e.flags & RS_F_USER))
      finding("classify: t_first from nowhere");
  }
  copy_record(e, exact.data(), size, run.format.max_record_bytes());
  e.t_read = e.t_parsed = e.t_enqueued = UINT64_C(1) << 62;
  run.acc->account(e, e.t_enqueued);
  const Event* one = &e;
  run.acc->finish_run(&one, 1, e.t_enqueued, e.t_enqueued + 100);

  if (const ProgramSpec* spec = run.specs[static_cast<std::size_t>(v.slot)]) {
    if (spec->kind_name(e.kind).empty()) finding("{}: kind {} has no name", p.name, e.kind);
    if (spec->records_kind) (void)spec->records_kind(e.kind, run.options);
  }
  std::string line;
  append_sink_line(p, e, line);
  if (line.empty() || line.back() != '\n' || line.find('\n') != line.size() - 1)
    finding("sink line is not one line: {}", line);
  // a key twice is valid JSON whose readers keep one of the two values: a field lost
  std::set<std::string> keys;
  bool twice = false;
  const nlohmann::json::parser_callback_t unique_keys = [&](int depth, nlohmann::json::parse_event_t event,
                                                            nlohmann::json& parsed) {
    if (depth == 1 && event == nlohmann::json::parse_event_t::key) twice |= !keys.insert(parsed.get<std::string>()).second;
    return true;
  };
  const auto doc = nlohmann::json::parse(line, unique_keys, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) finding("sink line is not a JSON object: {}", line);
  if (twice) finding("sink line names a key twice: {}", line);
  if (doc.value("program", std::string()) != p.name || doc.value("size", uint64_t{0}) != e.size)
    finding("sink line misreports the record: {}", line);
}

// Walks the records through the ring: exactly the submitted ones before the first busy one
// arrive, in order, byte for byte.
struct Collect : RecordSink {
  Run* run = nullptr;
  const std::vector<const RecordIn*>* expected = nullptr;
  std::size_t seen = 0;
  int batches = 0;
  void on_batch_start() noexcept override { ++batches; }
  void on_record(const void* data, std::size_t size) noexcept override {
    if (seen >= expected->size()) finding("ring walk: more records than submitted");
    const RecordIn& r = *(*expected)[seen++];
    if (size != r.bytes.size() || (size && std::memcmp(data, r.bytes.data(), size) != 0))
      finding("ring walk: record {} differs ({} bytes, submitted {})", seen - 1, size, r.bytes.size());
    consume(*run, static_cast<const uint8_t*>(data), size);
  }
  void on_batch_end() noexcept override {}
};

void through_ring(Run& run, const std::vector<RecordIn>& records, uint8_t start) {
  static Ring ring;
  // The kernel's positions only grow; where they start sets where in the ring records wrap.
  ring.consumer = ring.producer = static_cast<unsigned long>(start) * 64 + kRingBytes * 3;
  std::vector<const RecordIn*> expected;
  bool stopped = false;
  for (const RecordIn& r : records) {
    const unsigned long step = (r.bytes.size() + BPF_RINGBUF_HDR_SZ + 7) & ~7ul;
    if (ring.producer + step - ring.consumer > kRingBytes) break;  // the kernel never overfills
    const uint32_t len = static_cast<uint32_t>(r.bytes.size()) |
                         (r.busy ? static_cast<uint32_t>(BPF_RINGBUF_BUSY_BIT) : 0u) |
                         (r.discarded ? static_cast<uint32_t>(BPF_RINGBUF_DISCARD_BIT) : 0u);
    const uint32_t pg_off = 0;
    ring.put(ring.producer, &len, 4);
    ring.put(ring.producer + 4, &pg_off, 4);
    if (!r.bytes.empty()) ring.put(ring.producer + BPF_RINGBUF_HDR_SZ, r.bytes.data(), r.bytes.size());
    ring.producer += step;
    stopped = stopped || r.busy;
    if (!stopped && !r.discarded) expected.push_back(&r);
  }
  const unsigned long start_pos = ring.consumer;
  Collect sink;
  sink.run = &run;
  sink.expected = &expected;
  RingReader reader(RingView{&ring.consumer, &ring.producer, ring.data, kRingBytes});
  const int delivered = reader.pass(sink);
  if (static_cast<std::size_t>(delivered) != expected.size() || sink.seen != expected.size())
    finding("ring walk: {} records delivered, {} submitted", delivered, expected.size());
  if (ring.consumer < start_pos || ring.consumer > ring.producer) finding("ring walk: consumer position off");
  if (!stopped && ring.consumer != ring.producer) finding("ring walk: stopped early with nothing busy");
  if (sink.batches > 1) finding("ring walk: one pass, {} batches", sink.batches);
}

}  // namespace
}  // namespace ringside

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ringside;
  Input in{data, size};
  if (!in.take(3)) return 0;
  const uint8_t mode = in.byte(), mask = in.byte(), start = in.byte();
  Run& run = run_for(mode, mask);
  const std::vector<RecordIn> records = split(in);
  if (run.options.transport == Transport::perfbuf) {
    for (const RecordIn& r : records) consume(run, r.bytes.data(), r.bytes.size());  // samples, one by one
  } else {
    through_ring(run, records, start);
  }
  return 0;
}
