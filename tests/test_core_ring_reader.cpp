// The ring buffer walk on a ring laid out in memory exactly as the kernel maps it (data pages
// twice in a row, through a memfd): submitted records are delivered, discarded ones skipped, a
// busy one stops the pass, records that wrap the end read contiguously, and consumer_pos is
// published during long passes.
#include "ring_reader.h"

#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace ringside {
namespace {

// A ring of `size` bytes (a power of two, page multiple) mapped twice back to back, plus the two
// position words: what the kernel gives a ring buffer reader.
class FakeRing {
 public:
  explicit FakeRing(std::size_t size) : size_(size) {
    fd_ = memfd_create("ring", MFD_CLOEXEC);
    if (fd_ < 0 || ftruncate(fd_, static_cast<off_t>(size)) != 0) throw std::runtime_error("memfd");
    void* area = mmap(nullptr, 2 * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED) throw std::runtime_error("mmap");
    for (int copy = 0; copy < 2; ++copy)
      if (mmap(static_cast<uint8_t*>(area) + copy * size, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd_, 0) ==
          MAP_FAILED)
        throw std::runtime_error("mmap copy");
    data_ = static_cast<uint8_t*>(area);
  }
  ~FakeRing() {
    munmap(data_, 2 * size_);
    close(fd_);
  }

  // Appends a record as the kernel's producer would; returns the header's position.
  unsigned long produce(const std::string& payload, uint32_t flags = 0) {
    const unsigned long at = producer;
    const uint32_t len = static_cast<uint32_t>(payload.size()) | flags;
    std::memcpy(data_ + (at & (size_ - 1)), &len, 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
      data_[(at + BPF_RINGBUF_HDR_SZ + i) & (size_ - 1)] = static_cast<uint8_t>(payload[i]);
    producer += (payload.size() + BPF_RINGBUF_HDR_SZ + 7) & ~7ul;
    return at;
  }
  void set_flags(unsigned long at, uint32_t len) { std::memcpy(data_ + (at & (size_ - 1)), &len, 4); }

  RingView view() { return {&consumer, &producer, data_, size_}; }

  unsigned long consumer = 0, producer = 0;

 private:
  std::size_t size_;
  int fd_ = -1;
  uint8_t* data_ = nullptr;
};

// Records what a pass hands over.
struct Collect : RecordSink {
  std::vector<std::string> records;
  int batches = 0;
  FakeRing* ring = nullptr;
  std::vector<unsigned long> consumer_seen;  // consumer_pos at every record
  void on_batch_start() noexcept override { ++batches; }
  void on_record(const void* data, std::size_t size) noexcept override {
    records.emplace_back(static_cast<const char*>(data), size);
    if (ring) consumer_seen.push_back(ring->consumer);
  }
  void on_batch_end() noexcept override {}
};

constexpr std::size_t kRing = 4096;

TEST(RingReader, DeliversSubmittedRecordsInOrderAndAdvancesConsumer) {
  FakeRing ring(kRing);
  ring.produce("first");
  ring.produce("second record");
  RingReader reader(ring.view());
  EXPECT_TRUE(reader.pending());
  Collect sink;
  EXPECT_EQ(reader.pass(sink), 2);
  EXPECT_EQ(sink.records, (std::vector<std::string>{"first", "second record"}));
  EXPECT_EQ(ring.consumer, ring.producer);
  EXPECT_FALSE(reader.pending());
  EXPECT_EQ(reader.pass(sink), 0);
  EXPECT_EQ(sink.batches, 1) << "an empty pass is no batch";
}

TEST(RingReader, SkipsDiscardedRecords) {
  FakeRing ring(kRing);
  ring.produce("kept-1");
  ring.produce("dropped", BPF_RINGBUF_DISCARD_BIT);
  ring.produce("kept-2");
  RingReader reader(ring.view());
  Collect sink;
  EXPECT_EQ(reader.pass(sink), 2);
  EXPECT_EQ(sink.records, (std::vector<std::string>{"kept-1", "kept-2"}));
  EXPECT_EQ(ring.consumer, ring.producer) << "a discarded record's space is consumed too";
}

TEST(RingReader, StopsAtABusyRecordAndResumesOnceSubmitted) {
  FakeRing ring(kRing);
  ring.produce("ready");
  const unsigned long busy = ring.produce("still being written", BPF_RINGBUF_BUSY_BIT);
  ring.produce("after");
  RingReader reader(ring.view());
  Collect sink;
  EXPECT_EQ(reader.pass(sink), 1);
  EXPECT_EQ(ring.consumer, busy) << "the consumer stops right before the busy record";
  ring.set_flags(busy, static_cast<uint32_t>(std::string("still being written").size()));  // submitted
  EXPECT_EQ(reader.pass(sink), 2);
  EXPECT_EQ(sink.records.back(), "after");
  EXPECT_EQ(ring.consumer, ring.producer);
}

TEST(RingReader, ARecordWrappingTheEndReadsContiguously) {
  FakeRing ring(kRing);
  // Fill to 24 bytes before the end, consume that, then write a 64-byte record across the end.
  const std::string filler(kRing - 24 - BPF_RINGBUF_HDR_SZ, 'f');
  ring.produce(filler);
  RingReader reader(ring.view());
  Collect sink;
  EXPECT_EQ(reader.pass(sink), 1);
  std::string wrapped(64, ' ');
  for (std::size_t i = 0; i < wrapped.size(); ++i) wrapped[i] = static_cast<char>('a' + i % 26);
  ring.produce(wrapped);
  EXPECT_EQ(reader.pass(sink), 1);
  EXPECT_EQ(sink.records.back(), wrapped);
  EXPECT_GT(ring.consumer, kRing) << "positions keep counting past the ring size";
}

TEST(RingReader, PublishesConsumerPositionDuringALongPass) {
  FakeRing ring(1 << 16);
  const int n = 3 * static_cast<int>(RingReader::kPublishEvery) + 5;
  for (int i = 0; i < n; ++i) ring.produce("r" + std::to_string(i));
  RingReader reader(ring.view());
  Collect sink;
  sink.ring = &ring;
  EXPECT_EQ(reader.pass(sink), n);
  // consumer_pos moves only every kPublishEvery records, never per record
  EXPECT_EQ(sink.consumer_seen[0], 0u);
  EXPECT_EQ(sink.consumer_seen[RingReader::kPublishEvery - 1], 0u);
  EXPECT_GT(sink.consumer_seen[RingReader::kPublishEvery], 0u);
  EXPECT_EQ(sink.consumer_seen[RingReader::kPublishEvery], sink.consumer_seen[2 * RingReader::kPublishEvery - 1]);
  EXPECT_EQ(ring.consumer, ring.producer);
}

TEST(RingReader, APassReadsOnlyUpToTheProducerPositionItStartedWith) {
  FakeRing ring(kRing);
  ring.produce("a");
  ring.produce("b");
  RingReader reader(ring.view());
  // a sink that produces while the pass runs: the new record waits for the next pass
  struct Producing : Collect {
    FakeRing* r = nullptr;
    void on_record(const void* d, std::size_t s) noexcept override {
      Collect::on_record(d, s);
      if (records.size() == 1) r->produce("late");
    }
  } sink;
  sink.r = &ring;
  EXPECT_EQ(reader.pass(sink), 2);
  EXPECT_TRUE(reader.pending());
  EXPECT_EQ(reader.pass(sink), 1);
  EXPECT_EQ(sink.records.back(), "late");
}

}  // namespace
}  // namespace ringside
