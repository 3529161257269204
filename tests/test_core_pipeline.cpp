// The pipeline without BPF: records pushed into an in-memory source flow through classification,
// the pool, the worker queues and the handlers. Every record ends up handled or in exactly one
// drop cause (malformed, pool_exhausted, queue_full), under both queue policies, also under TSan.
#include "pipeline.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "clock.h"
#include "memory_source.h"

namespace ringside {
namespace {

constexpr uint8_t kFixedProg = 1, kVarProg = 2;

ProgramFormat fixed_program() {
  ProgramFormat f;
  f.name = "fixed";
  f.prog_id = kFixedProg;
  f.min_bytes = f.max_bytes = 64;
  f.kinds = 8;
  f.user_ts_offset = 56;
  return f;
}

ProgramFormat variable_program() {
  ProgramFormat f;
  f.name = "variable";
  f.prog_id = kVarProg;
  f.min_bytes = 40;
  f.max_bytes = 304;
  f.kinds = 2;
  return f;
}

// A record of `size` bytes with a valid header (unless the caller breaks it).
std::vector<uint8_t> record(uint8_t prog, uint16_t size, uint16_t kind = 0, uint32_t tgid = 42) {
  std::vector<uint8_t> r(size, 0);
  rs_hdr h{};
  h.size = size;
  h.prog = prog;
  h.flags = RS_F_STAMPED;
  h.kind = kind;
  h.tgid = tgid;
  h.t_hook = now_ns();
  h.t_submit = h.t_hook + 100;
  std::memcpy(r.data(), &h, sizeof(h));
  return r;
}

struct Harness {
  explicit Harness(PipelineConfig c, bool perf_padding = false) {
    c.format = RecordFormat({fixed_program(), variable_program()}, perf_padding);
    c.poll_timeout_ms = 5;
    pipeline = std::make_unique<Pipeline>(std::move(c), [](RecordSink& sink) { return std::make_unique<MemorySource>(sink); });
    source = dynamic_cast<MemorySource*>(&pipeline->source());
  }
  void push(const std::vector<uint8_t>& r) { source->push(r.data(), r.size()); }
  std::unique_ptr<Pipeline> pipeline;
  MemorySource* source = nullptr;
};

uint64_t accounted(const Pipeline& p) {
  const PipelineDrops d = p.drops();
  return p.handled() + d.queue_full + d.pool_exhausted + d.malformed;
}

TEST(Pipeline, EveryValidRecordIsHandledAndCountedByProgramAndKind) {
  PipelineConfig c;
  c.workers = 2;
  Harness h(c);
  h.pipeline->start();
  for (int i = 0; i < 5000; ++i) h.push(record(kFixedProg, 64, static_cast<uint16_t>(i % 8)));
  for (int i = 0; i < 3000; ++i) h.push(record(kVarProg, static_cast<uint16_t>(40 + 8 * (i % 34)), 1));
  h.pipeline->stop();
  EXPECT_EQ(h.pipeline->records_read(), 8000u);
  EXPECT_EQ(h.pipeline->handled(), 8000u);
  const Aggregate a = h.pipeline->aggregate();
  ASSERT_EQ(a.programs.size(), 2u);
  EXPECT_EQ(a.programs[0].handled, 5000u);
  EXPECT_EQ(a.programs[1].handled, 3000u);
  for (int k = 0; k < 8; ++k) EXPECT_EQ(a.programs[0].by_kind[static_cast<std::size_t>(k)], 625u) << k;
  EXPECT_EQ(a.programs[1].by_kind[1], 3000u);
  EXPECT_EQ(a.programs[1].max_bytes, 304u);
  EXPECT_EQ(a.programs[0].bytes, 5000u * 64);
  EXPECT_EQ(a.by_pid.at(42), 8000u);
  // every handled event went through every userspace stage once
  for (Stage s : {Stage::submit_to_read, Stage::read_to_parse, Stage::queue_wait, Stage::handle, Stage::end_to_end})
    EXPECT_EQ(a.merged_stages()[s].count(), 8000u) << kStageNames[static_cast<int>(s)];
  EXPECT_EQ(a.merged_stages()[Stage::hook_to_submit].max(), 100u) << "t_submit - t_hook of every record";
}

// --inline: the consumer handles each group itself; nothing is queued, so queue_wait is 0, and
// a pool smaller than a group still conserves (the group's events return before the next).
TEST(Pipeline, InlineHandlingConservesWithoutWorkerThreads) {
  for (uint32_t pool : {65536u, 8u}) {
    PipelineConfig c;
    c.inline_handling = true;
    c.workers = 3;  // ignored
    c.pool_size = pool;
    Harness h(c);
    h.pipeline->start();
    for (int i = 0; i < 4000; ++i) h.push(record(kFixedProg, 64, static_cast<uint16_t>(i % 8)));
    for (int i = 0; i < 1000; ++i) h.push(record(kVarProg, static_cast<uint16_t>(40 + 8 * (i % 34)), 1));
    h.pipeline->stop();
    EXPECT_EQ(h.pipeline->records_read(), 5000u) << pool;
    EXPECT_EQ(accounted(*h.pipeline), 5000u) << pool;
    EXPECT_EQ(h.pipeline->drops().queue_full, 0u) << "no queue to fill";
    if (pool > 16) EXPECT_EQ(h.pipeline->handled(), 5000u);
    else EXPECT_GT(h.pipeline->drops().pool_exhausted, 0u) << "a group of 16 cannot fit a pool of 8";
    const Aggregate a = h.pipeline->aggregate();
    EXPECT_EQ(a.merged_stages()[Stage::queue_wait].count(), h.pipeline->handled());
    EXPECT_EQ(a.merged_stages()[Stage::queue_wait].max(), 0u);
    EXPECT_EQ(h.pipeline->workers_cpu_ns(), 0u) << "no worker thread ran";
  }
}

TEST(Pipeline, RecordsBreakingTheirRulesAreMalformedNeverHandled) {
  PipelineConfig c;
  Harness h(c);
  h.pipeline->start();
  h.push(record(kFixedProg, 64));                  // valid
  h.push(record(kFixedProg, 72));                  // fixed program, wrong size
  h.push(record(kVarProg, 41 + 7));                // 48: valid
  h.push(record(kVarProg, 44));                    // not a multiple of 8
  h.push(record(kVarProg, 312));                   // over the program's cap
  h.push(record(kVarProg, 32));                    // under its minimum
  h.push(record(kFixedProg, 64, /*kind=*/9));      // kind out of range
  h.push(record(99, 64));                          // no such program in the run: unattributed
  std::vector<uint8_t> short_one(12, 0);           // shorter than a header: unattributed
  h.push(short_one);
  auto lying = record(kFixedProg, 64);
  lying.resize(56);                                // header says 64, the record holds 56
  h.push(lying);
  h.pipeline->stop();
  EXPECT_EQ(h.pipeline->handled(), 2u);
  EXPECT_EQ(h.pipeline->drops().malformed, 8u);
  EXPECT_EQ(h.pipeline->unattributed_malformed(), 2u);
  EXPECT_EQ(h.pipeline->drops_of(0).malformed, 3u);
  EXPECT_EQ(h.pipeline->drops_of(1).malformed, 3u);
  EXPECT_EQ(accounted(*h.pipeline), h.pipeline->records_read());
}

TEST(Pipeline, PerfBufferPaddingIsToleratedUpToSevenBytes) {
  PipelineConfig c;
  Harness h(c, /*perf_padding=*/true);
  h.pipeline->start();
  auto padded = record(kFixedProg, 64);
  padded.resize(68);  // what the kernel hands over for a 64-byte bpf_perf_event_output
  h.push(padded);
  padded.resize(72);  // 8 bytes more than the header: not padding
  h.push(padded);
  h.pipeline->stop();
  EXPECT_EQ(h.pipeline->handled(), 1u);
  EXPECT_EQ(h.pipeline->drops().malformed, 1u);
}

TEST(Pipeline, AnExhaustedPoolCountsEveryDropAndLosesNothingElse) {
  PipelineConfig c;
  c.pool_size = 4;
  c.inject_handler_delay_ns = 200'000;  // slow handler: the pool runs dry
  Harness h(c);
  h.pipeline->start();
  for (int i = 0; i < 400; ++i) h.push(record(kFixedProg, 64));
  h.pipeline->stop();
  EXPECT_GT(h.pipeline->drops().pool_exhausted, 0u);
  EXPECT_EQ(h.pipeline->drops_of(0).pool_exhausted, h.pipeline->drops().pool_exhausted);
  EXPECT_EQ(accounted(*h.pipeline), 400u);
}

TEST(Pipeline, DropPolicyCountsQueueFullAndConserves) {
  PipelineConfig c;
  c.queue_size = 2;
  c.queue_policy = QueuePolicy::drop;
  c.inject_handler_delay_ns = 100'000;
  Harness h(c);
  h.pipeline->start();
  for (int i = 0; i < 2000; ++i) h.push(record(kFixedProg, 64));
  h.pipeline->stop();
  EXPECT_GT(h.pipeline->drops().queue_full, 0u);
  EXPECT_EQ(accounted(*h.pipeline), 2000u);
}

TEST(Pipeline, BlockPolicyNeverDropsInUserspace) {
  PipelineConfig c;
  c.queue_size = 2;
  c.queue_policy = QueuePolicy::block;
  c.inject_handler_delay_ns = 20'000;
  Harness h(c);
  h.pipeline->start();
  for (int i = 0; i < 2000; ++i) h.push(record(kFixedProg, 64));
  h.pipeline->stop();
  EXPECT_EQ(h.pipeline->drops().queue_full, 0u);
  EXPECT_EQ(h.pipeline->handled(), 2000u);
}

TEST(Pipeline, StopDrainsWhatTheSourceHolds) {
  PipelineConfig c;
  Harness h(c);
  for (int i = 0; i < 1000; ++i) h.push(record(kFixedProg, 64));  // queued before the consumer runs
  h.pipeline->start();
  h.pipeline->stop();
  EXPECT_EQ(h.pipeline->handled(), 1000u);
  EXPECT_EQ(h.source->queued(), 0u);
}

TEST(Pipeline, StageTimestampsAreOrderedAndUserStampsMeasureSyscallToHook) {
  PipelineConfig c;
  Harness h(c);
  h.pipeline->start();
  const uint64_t before = now_ns();
  for (int i = 0; i < 100; ++i) {
    auto r = record(kFixedProg, 64);
    rs_hdr hdr;
    std::memcpy(&hdr, r.data(), sizeof(hdr));
    hdr.flags |= RS_F_USER;
    std::memcpy(r.data(), &hdr, sizeof(hdr));
    const uint64_t t_user = hdr.t_hook - 1000;  // the workload stamped 1 µs before the hook
    std::memcpy(r.data() + 56, &t_user, 8);
    h.push(r);
  }
  h.pipeline->stop();
  const StageHistograms s = h.pipeline->aggregate().merged_stages();
  EXPECT_EQ(s[Stage::syscall_to_hook].count(), 100u);
  EXPECT_EQ(s[Stage::syscall_to_hook].max(), 1000u);
  EXPECT_EQ(s[Stage::hook_to_submit].max(), 100u);
  EXPECT_GE(s[Stage::end_to_end].min(), 1100u) << "end to end starts at the workload's stamp";
  EXPECT_LT(s[Stage::end_to_end].max(), now_ns() - before + 2000);
}

TEST(Pipeline, OpaqueRecordsOfAnySizeWithAnOptionalTimestamp) {
  ProgramFormat foreign;
  foreign.name = "foreign";
  foreign.has_header = false;
  foreign.min_bytes = 1;
  foreign.max_bytes = 128;  // room per pooled event; bigger records are counted, copied in part
  foreign.submit_ts_offset = 8;
  PipelineConfig c;
  c.format = RecordFormat({foreign}, false);
  Pipeline p(c, [](RecordSink& sink) { return std::make_unique<MemorySource>(sink); });
  auto& src = dynamic_cast<MemorySource&>(p.source());
  p.start();
  std::vector<uint8_t> small(16, 0), large(4000, 0), too_short(12, 0);
  const uint64_t t = now_ns();
  std::memcpy(small.data() + 8, &t, 8);
  std::memcpy(large.data() + 8, &t, 8);
  src.push(small.data(), small.size());
  src.push(large.data(), large.size());
  src.push(too_short.data(), too_short.size());  // cannot hold the timestamp it must carry
  p.stop();
  EXPECT_EQ(p.handled(), 2u);
  EXPECT_EQ(p.drops().malformed, 1u);
  const Aggregate a = p.aggregate();
  EXPECT_EQ(a.programs[0].max_bytes, 4000u);
  EXPECT_EQ(a.merged_stages()[Stage::submit_to_read].count(), 2u);
  EXPECT_EQ(a.merged_stages()[Stage::hook_to_submit].count(), 0u) << "opaque records have no hook stamp";
}

}  // namespace
}  // namespace ringside
