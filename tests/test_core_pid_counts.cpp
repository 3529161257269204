// The handlers' per-pid table (PidCounts): a fixed open-addressing table with bounded probing.
// A pid it cannot place — the table full, or its probe run crowded — is counted as overflow and
// reported as such: never as pid 0, never merged into another pid, never lost.
#include "aggregate.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory>

#include "memory_source.h"
#include "pipeline.h"

namespace ringside {
namespace {

struct Merged {
  std::map<uint32_t, uint64_t> by_pid;
  uint64_t overflow = 0;
  uint64_t total() const {
    uint64_t n = overflow;
    for (const auto& [pid, c] : by_pid) n += c;
    return n;
  }
};

Merged merged(const PidCounts& t) {
  Merged m;
  t.merge_into(m.by_pid, m.overflow);
  return m;
}

TEST(PidCounts, PidsBeyondCapacityAreCountedAsOverflowNotAsPidZero) {
  auto t = std::make_unique<PidCounts>();  // 48 KiB: not on the stack
  constexpr uint32_t kPids = PidCounts::kSlots + 1000;
  constexpr uint64_t kEach = 3;
  for (uint64_t round = 0; round < kEach; ++round)
    for (uint32_t pid = 1; pid <= kPids; ++pid) t->add(pid);
  const Merged m = merged(*t);
  EXPECT_EQ(m.by_pid.count(0), 0u) << "an overflowed pid must not show up as pid 0";
  EXPECT_LE(m.by_pid.size(), PidCounts::kSlots);
  EXPECT_EQ(m.total(), kPids * kEach) << "every add is a table count or an overflow";
  EXPECT_GE(m.overflow, (kPids - PidCounts::kSlots) * kEach) << "at least the pids past capacity overflowed";
  // a pid is either in the table with every one of its events, or wholly overflow
  EXPECT_EQ(m.overflow % kEach, 0u);
  for (const auto& [pid, n] : m.by_pid) {
    EXPECT_GE(pid, 1u);
    EXPECT_LE(pid, kPids);
    EXPECT_EQ(n, kEach) << "pid " << pid << " got another pid's events";
  }
  EXPECT_EQ(m.by_pid.size() + m.overflow / kEach, kPids);
}

// Pids congruent mod kSlots share a home slot (the multiplicative hash is a bijection mod 2^12):
// the first kMaxProbe of them fill the probe run, the next one overflows although the table is
// almost empty — at a bounded cost, and counted.
TEST(PidCounts, ACrowdedProbeRunOverflowsAfterMaxProbe) {
  auto t = std::make_unique<PidCounts>();
  const uint32_t n = PidCounts::kMaxProbe + 5;
  for (uint32_t k = 0; k < n; ++k) t->add(7 + k * PidCounts::kSlots);
  t->add(7);  // the first of them is placed: counted in the table
  const Merged m = merged(*t);
  EXPECT_EQ(m.by_pid.size(), PidCounts::kMaxProbe);
  EXPECT_EQ(m.overflow, 5u);
  EXPECT_EQ(m.by_pid.at(7), 2u);
  EXPECT_EQ(m.by_pid.count(0), 0u);
  EXPECT_EQ(m.total(), n + 1u);
  for (uint32_t k = PidCounts::kMaxProbe; k < n; ++k) EXPECT_EQ(m.by_pid.count(7 + k * PidCounts::kSlots), 0u) << k;
}

// Merging tables (one per worker) adds their overflow up; nothing is dropped on the way.
TEST(PidCounts, MergeAddsOverflowAcrossTables) {
  auto a = std::make_unique<PidCounts>();
  auto b = std::make_unique<PidCounts>();
  for (uint32_t pid = 1; pid <= PidCounts::kSlots + 200; ++pid) {
    a->add(pid);
    b->add(pid);
  }
  Merged m;
  a->merge_into(m.by_pid, m.overflow);
  const uint64_t after_a = m.overflow;
  b->merge_into(m.by_pid, m.overflow);
  EXPECT_GT(after_a, 0u);
  EXPECT_EQ(m.overflow, 2 * after_a) << "the same adds overflow the same way in both tables";
  EXPECT_EQ(m.total(), 2u * (PidCounts::kSlots + 200));
  EXPECT_EQ(m.by_pid.count(0), 0u);
}

// Through the pipeline: events of more distinct pids than the table holds are handled, and the
// aggregate reports the overflow next to by_pid (what results.json carries as "pids_overflow").
TEST(PidCounts, PipelineReportsPidOverflowInItsAggregate) {
  ProgramFormat f;
  f.name = "fixed";
  f.prog_id = 1;
  f.min_bytes = f.max_bytes = 64;
  f.kinds = 1;
  PipelineConfig c;
  c.inline_handling = true;  // one accumulator: one table
  c.poll_timeout_ms = 5;
  c.format = RecordFormat({f}, false);
  Pipeline p(std::move(c), [](RecordSink& sink) { return std::make_unique<MemorySource>(sink); });
  auto* source = dynamic_cast<MemorySource*>(&p.source());
  ASSERT_NE(source, nullptr);
  p.start();
  constexpr uint32_t kPids = PidCounts::kSlots + 500;
  std::vector<uint8_t> r(64, 0);
  for (uint32_t pid = 1; pid <= kPids; ++pid) {
    rs_hdr h{};
    h.size = 64;
    h.prog = 1;
    h.tgid = 100000 + pid;
    std::memcpy(r.data(), &h, sizeof(h));
    source->push(r.data(), r.size());
  }
  p.stop();
  ASSERT_EQ(p.handled(), kPids) << "overflowing the pid table drops no event";
  const Aggregate a = p.aggregate();
  EXPECT_GE(a.pids_overflow, 500u);
  EXPECT_EQ(a.by_pid.count(0), 0u);
  uint64_t counted = a.pids_overflow;
  for (const auto& [pid, n] : a.by_pid) {
    EXPECT_EQ(n, 1u) << pid;
    counted += n;
  }
  EXPECT_EQ(counted, kPids);
}

}  // namespace
}  // namespace ringside
