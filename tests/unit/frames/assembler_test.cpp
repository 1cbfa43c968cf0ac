#include "frames/assembler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "test_util.h"

namespace sueo::frames {
namespace {

constexpr uint32_t kSeq = 7;
constexpr double kTimeout = 2000;

AssemblerLimits limits() {
  AssemblerLimits l;
  l.frame_timeout_ms = kTimeout;
  return l;
}

// The real test JPEG cut into `count` chunks for frame `frame_index`, parsed as the transport would.
struct Frame {
  std::vector<uint8_t> jpeg;
  std::vector<std::vector<uint8_t>> messages;
  std::vector<Chunk> chunks;

  Frame(uint32_t frame_index, size_t count, uint32_t seq = kSeq, std::vector<uint8_t> bytes = test::real_jpeg())
      : jpeg(std::move(bytes)) {
    const size_t per_chunk = (jpeg.size() + count - 1) / count;
    messages = make_chunks(seq, frame_index, 1000.0 + frame_index, jpeg, per_chunk + kHeaderBytes);
    for (const auto& m : messages) {
      ParseError error;
      auto chunk = parse_chunk(m, 4u << 20, error);
      if (!chunk) throw std::runtime_error(error.message);
      chunks.push_back(*chunk);
    }
    if (chunks.size() != count) throw std::runtime_error("unexpected chunk count");
  }
};

// Feeds chunks by index in `order`; returns the frames completed (expected: at most one).
std::vector<AssembledFrame> feed(FrameAssembler& a, const Frame& f, const std::vector<size_t>& order, double now = 0,
                                 std::vector<std::optional<DropReason>>* drops = nullptr) {
  std::vector<AssembledFrame> done;
  for (size_t i : order) {
    std::optional<DropReason> drop;
    if (auto frame = a.add(f.chunks.at(i), now, &drop)) done.push_back(std::move(*frame));
    if (drops) drops->push_back(drop);
  }
  return done;
}

std::vector<size_t> in_order(size_t n) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  return order;
}

TEST(FrameAssembler, CompletesAFrameSentInOrder) {
  FrameAssembler a(limits());
  ASSERT_TRUE(a.start_sequence(kSeq, 10, 0));
  Frame f(3, 5);
  std::vector<AssembledFrame> done;
  for (size_t i = 0; i < 5; ++i) {
    std::optional<DropReason> drop;
    auto frame = a.add(f.chunks[i], 100.0 + i, &drop);
    EXPECT_FALSE(drop);
    EXPECT_EQ(frame.has_value(), i == 4) << "only the last chunk completes the frame";
    EXPECT_EQ(a.frames_in_flight(), i == 4 ? 0u : 1u);
    if (frame) done.push_back(std::move(*frame));
  }
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].jpeg, f.jpeg);
  EXPECT_EQ(done[0].seq, kSeq);
  EXPECT_EQ(done[0].frame_index, 3u);
  EXPECT_EQ(done[0].capture_time_ms, 1003.0);
  EXPECT_EQ(done[0].first_chunk_ms, 100.0);
  EXPECT_EQ(done[0].complete_ms, 104.0);
  EXPECT_EQ(a.frames_completed(), 1u);
  EXPECT_EQ(a.bytes_completed(), f.jpeg.size());
  EXPECT_EQ(a.drops().total(), 0u);
  EXPECT_EQ(a.bytes_in_flight(), 0u);
}

TEST(FrameAssembler, SingleChunkFrameCompletesAtOnce) {
  FrameAssembler a(limits());
  ASSERT_TRUE(a.start_sequence(kSeq, 1, 0));
  Frame f(0, 1);
  auto frame = a.add(f.chunks[0], 5);
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->jpeg, f.jpeg);
  EXPECT_EQ(frame->first_chunk_ms, 5);
  EXPECT_EQ(frame->complete_ms, 5);
}

// ---- fail matrix: for each chunk of a 5-chunk frame, drop it, repeat it, move it ----

class FailMatrix : public testing::TestWithParam<size_t> {
 protected:
  static constexpr size_t kChunks = 5;
  Frame f{2, kChunks};
  FrameAssembler a{limits()};
  size_t k = GetParam();
  std::vector<size_t> all_but_k() const {
    auto order = in_order(kChunks);
    order.erase(order.begin() + static_cast<long>(k));
    return order;
  }
  void SetUp() override { ASSERT_TRUE(a.start_sequence(kSeq, 5, 0)); }
};

TEST_P(FailMatrix, MissingChunkTimesOutAsIncompleteOnce) {
  EXPECT_TRUE(feed(a, f, all_but_k(), 10).empty());
  EXPECT_EQ(a.frames_in_flight(), 1u);
  EXPECT_EQ(a.expire(10 + kTimeout), 0) << "not yet older than the timeout";
  EXPECT_EQ(a.drops().total(), 0u);
  EXPECT_EQ(a.expire(10 + kTimeout + 0.5), 1);
  EXPECT_EQ(a.drops().get(DropReason::kIncomplete), 1u);
  EXPECT_EQ(a.drops().total(), 1u);
  EXPECT_EQ(a.frames_in_flight(), 0u);
  EXPECT_EQ(a.bytes_in_flight(), 0u);
  // The late chunk cannot revive the frame, and the frame is not counted twice.
  std::optional<DropReason> drop;
  EXPECT_FALSE(a.add(f.chunks[k], 3000, &drop));
  EXPECT_EQ(drop, DropReason::kIncomplete);
  EXPECT_EQ(a.drops().total(), 1u);
  EXPECT_EQ(a.frames_in_flight(), 0u);
  EXPECT_EQ(a.frames_completed(), 0u);
}

TEST_P(FailMatrix, MissingChunkIsIncompleteAtSequenceEnd) {
  EXPECT_TRUE(feed(a, f, all_but_k()).empty());
  EXPECT_TRUE(a.end_sequence(kSeq));
  EXPECT_FALSE(a.sequence_open());
  EXPECT_EQ(a.drops().get(DropReason::kIncomplete), 1u);
  EXPECT_EQ(a.drops().total(), 1u);
  EXPECT_EQ(a.frames_in_flight(), 0u);
  EXPECT_EQ(a.frames_completed(), 0u);
}

TEST_P(FailMatrix, RepeatedChunkIsCountedAndTheFrameStaysExact) {
  // Chunk k twice before the frame completes; the second copy carries other bytes, which must not
  // reach the frame.
  std::vector<uint8_t> other(f.chunks[k].payload.size(), 0xAB);
  Chunk evil = f.chunks[k];
  evil.payload = other;
  std::optional<DropReason> drop;
  EXPECT_FALSE(a.add(f.chunks[k], 0, &drop));
  EXPECT_FALSE(drop);
  EXPECT_FALSE(a.add(f.chunks[k], 0, &drop));
  EXPECT_EQ(drop, DropReason::kDuplicate);
  EXPECT_FALSE(a.add(evil, 0, &drop));
  EXPECT_EQ(drop, DropReason::kDuplicate);
  const auto done = feed(a, f, all_but_k());
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].jpeg, f.jpeg);
  EXPECT_EQ(a.chunks_repeated(), 2u);
  EXPECT_EQ(a.chunks_inconsistent(), 0u);
  EXPECT_EQ(a.drops().total(), 0u) << "a repeated chunk is not a dropped frame";
  EXPECT_EQ(a.frames_completed(), 1u);
}

TEST_P(FailMatrix, ChunkMovedFirstOrLastStillCompletesExactly) {
  for (bool first : {true, false}) {
    FrameAssembler b(limits());
    ASSERT_TRUE(b.start_sequence(kSeq, 5, 0));
    auto order = all_but_k();
    order.insert(first ? order.begin() : order.end(), k);
    const auto done = feed(b, f, order);
    ASSERT_EQ(done.size(), 1u) << (first ? "first" : "last");
    EXPECT_EQ(done[0].jpeg, f.jpeg);
    EXPECT_EQ(b.drops().total(), 0u);
    EXPECT_EQ(b.frames_in_flight(), 0u);
  }
}

TEST_P(FailMatrix, ChunkAfterCompletionIsADuplicateFrame) {
  ASSERT_EQ(feed(a, f, in_order(kChunks)).size(), 1u);
  std::optional<DropReason> drop;
  EXPECT_FALSE(a.add(f.chunks[k], 1, &drop));
  EXPECT_EQ(drop, DropReason::kDuplicate);
  EXPECT_EQ(a.drops().get(DropReason::kDuplicate), 1u);
  EXPECT_EQ(a.frames_completed(), 1u);
}

INSTANTIATE_TEST_SUITE_P(EachChunk, FailMatrix, testing::Range<size_t>(0, 5));

TEST(FrameAssembler, EveryOrderOfFourChunksCompletesExactly) {
  FrameAssembler a(limits());
  ASSERT_TRUE(a.start_sequence(kSeq, 24, 0));
  auto order = in_order(4);
  uint32_t index = 0;
  do {
    Frame f(index, 4);
    std::vector<AssembledFrame> done;
    for (size_t n = 0; n < order.size(); ++n) {
      auto frame = a.add(f.chunks[order[n]], 0);
      EXPECT_EQ(frame.has_value(), n == 3);
      if (frame) done.push_back(std::move(*frame));
    }
    ASSERT_EQ(done.size(), 1u);
    EXPECT_EQ(done[0].jpeg, f.jpeg);
    EXPECT_EQ(done[0].frame_index, index);
    ++index;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(index, 24u);
  EXPECT_EQ(a.frames_completed(), 24u);
  EXPECT_EQ(a.drops().total(), 0u);
}

TEST(FrameAssembler, FramesInterleaveAcrossIndices) {
  FrameAssembler a(limits());
  ASSERT_TRUE(a.start_sequence(kSeq, 3, 0));
  Frame f0(0, 3), f1(1, 3), f2(2, 3);
  std::vector<AssembledFrame> done;
  for (size_t i : {2, 0, 1})
    for (const Frame* f : {&f1, &f0, &f2})
      if (auto frame = a.add(f->chunks[i], 0)) done.push_back(std::move(*frame));
  ASSERT_EQ(done.size(), 3u);
  for (const auto& frame : done) EXPECT_EQ(frame.jpeg, test::real_jpeg());
  EXPECT_EQ(done[0].frame_index, 1u);
  EXPECT_EQ(done[2].frame_index, 2u);
}

TEST(FrameAssembler, WholeFrameSentAgainCountsOneDuplicatePerCopy) {
  FrameAssembler a(limits());
  ASSERT_TRUE(a.start_sequence(kSeq, 5, 0));
  Frame f(1, 5);
  ASSERT_EQ(feed(a, f, in_order(5)).size(), 1u);
  std::vector<std::optional<DropReason>> drops;
  EXPECT_TRUE(feed(a, f, {3, 1, 0, 4, 2}, 0, &drops).empty());
  for (const auto& d : drops) EXPECT_EQ(d, DropReason::kDuplicate);
  EXPECT_EQ(a.drops().get(DropReason::kDuplicate), 1u);
  EXPECT_TRUE(feed(a, f, in_order(5)).empty());
  EXPECT_EQ(a.drops().get(DropReason::kDuplicate), 2u);
  EXPECT_EQ(a.drops().total(), 2u);
  EXPECT_EQ(a.frames_completed(), 1u);
  EXPECT_EQ(a.bytes_completed(), f.jpeg.size());
}

TEST(FrameAssembler, IndexAtOrAbovePlannedIsOutOfRangeOncePerFrame) {
  FrameAssembler a(limits());
  ASSERT_TRUE(a.start_sequence(kSeq, 3, 0));
  for (uint32_t index : {3u, 4u, UINT32_MAX}) {
    Frame f(index, 5);
    std::vector<std::optional<DropReason>> drops;
    EXPECT_TRUE(feed(a, f, {4, 2, 0, 1, 3}, 0, &drops).empty());
    for (const auto& d : drops) EXPECT_EQ(d, DropReason::kOutOfRange);
  }
  EXPECT_EQ(a.drops().get(DropReason::kOutOfRange), 3u);
  EXPECT_EQ(a.drops().total(), 3u);
  EXPECT_EQ(a.frames_in_flight(), 0u);
  Frame last(2, 5);  // the last planned index is in range
  EXPECT_EQ(feed(a, last, in_order(5)).size(), 1u);
}

TEST(FrameAssembler, OversizedFrameIsDroppedOnce) {
  AssemblerLimits l = limits();
  l.max_frame_bytes = static_cast<uint32_t>(test::real_jpeg().size()) - 1;
  FrameAssembler a(l);
  ASSERT_TRUE(a.start_sequence(kSeq, 2, 0));
  Frame big(0, 5);
  std::vector<std::optional<DropReason>> drops;
  EXPECT_TRUE(feed(a, big, {1, 0, 2, 3, 4}, 0, &drops).empty());
  for (const auto& d : drops) EXPECT_EQ(d, DropReason::kOversized);
  EXPECT_EQ(a.drops().get(DropReason::kOversized), 1u);
  EXPECT_EQ(a.drops().total(), 1u);
  EXPECT_EQ(a.frames_in_flight(), 0u);
  EXPECT_EQ(a.bytes_in_flight(), 0u) << "nothing was reserved for it";
  // A frame at exactly the limit passes.
  std::vector<uint8_t> fits(test::real_jpeg().begin(), test::real_jpeg().end() - 1);
  Frame ok(1, 5, kSeq, fits);
  ASSERT_EQ(feed(a, ok, in_order(5)).size(), 1u);
}

TEST(FrameAssembler, OtherSequenceIsOutOfRange) {
  FrameAssembler a(limits());
  ASSERT_TRUE(a.start_sequence(kSeq, 5, 0));
  Frame other(0, 5, kSeq + 1);
  std::vector<std::optional<DropReason>> drops;
  EXPECT_TRUE(feed(a, other, in_order(5), 0, &drops).empty());
  for (const auto& d : drops) EXPECT_EQ(d, DropReason::kOutOfRange);
  EXPECT_EQ(a.drops().get(DropReason::kOutOfRange), 1u);
  EXPECT_EQ(a.frames_in_flight(), 0u);
  Frame mine(0, 5);
  EXPECT_EQ(feed(a, mine, in_order(5)).size(), 1u) << "the other sequence's frame 0 left no trace";
}

TEST(FrameAssembler, NoOpenSequenceIsOutOfRange) {
  FrameAssembler a(limits());
  Frame f(0, 5);
  EXPECT_FALSE(a.sequence_open());
  std::vector<std::optional<DropReason>> drops;
  EXPECT_TRUE(feed(a, f, in_order(5), 0, &drops).empty());
  for (const auto& d : drops) EXPECT_EQ(d, DropReason::kOutOfRange);
  EXPECT_EQ(a.drops().get(DropReason::kOutOfRange), 1u);

  ASSERT_TRUE(a.start_sequence(kSeq, 5, 0));
  EXPECT_EQ(a.drops().total(), 0u) << "a new sequence starts its own counts";
  ASSERT_TRUE(a.end_sequence(kSeq));
  EXPECT_TRUE(feed(a, f, in_order(5)).empty()) << "after sequence-end";
  EXPECT_EQ(a.drops().get(DropReason::kOutOfRange), 1u);
}

TEST(FrameAssembler, TooManyFramesInFlightDropsTheOldest) {
  AssemblerLimits l = limits();
  l.max_frames_in_flight = 3;
  FrameAssembler a(l);
  ASSERT_TRUE(a.start_sequence(kSeq, 10, 0));
  std::vector<Frame> frames;
  for (uint32_t i = 0; i < 4; ++i) frames.emplace_back(i, 2);
  // Frame 1 starts first, then 0, 2: three in flight. Frame 3 pushes out the oldest, frame 1.
  const double start[] = {20, 10, 30, 40};
  for (uint32_t i : {1u, 0u, 2u}) EXPECT_FALSE(a.add(frames[i].chunks[0], start[i]));
  EXPECT_EQ(a.frames_in_flight(), 3u);
  EXPECT_EQ(a.drops().total(), 0u);
  EXPECT_FALSE(a.add(frames[3].chunks[0], start[3]));
  EXPECT_EQ(a.frames_in_flight(), 3u);
  EXPECT_EQ(a.drops().get(DropReason::kIncomplete), 1u);
  std::optional<DropReason> drop;
  EXPECT_FALSE(a.add(frames[1].chunks[1], 60, &drop)) << "frame 1 was the oldest";
  EXPECT_EQ(drop, DropReason::kIncomplete);
  EXPECT_EQ(a.drops().get(DropReason::kIncomplete), 1u) << "counted once";
  EXPECT_TRUE(a.add(frames[0].chunks[1], 60)) << "frame 0 survived";
  EXPECT_TRUE(a.add(frames[2].chunks[1], 60));
  EXPECT_TRUE(a.add(frames[3].chunks[1], 60));
  EXPECT_EQ(a.frames_in_flight(), 0u);
  EXPECT_EQ(a.frames_completed(), 3u);
}

TEST(FrameAssembler, ByteBudgetDropsTheOldest) {
  AssemblerLimits l = limits();
  const auto size = test::real_jpeg().size();
  l.max_bytes_in_flight = 2 * size + 100;  // two partial frames of 2 chunks, not three
  FrameAssembler a(l);
  ASSERT_TRUE(a.start_sequence(kSeq, 3, 0));
  Frame f0(0, 2), f1(1, 2), f2(2, 2);
  EXPECT_FALSE(a.add(f0.chunks[0], 1));
  EXPECT_FALSE(a.add(f1.chunks[0], 2));
  EXPECT_EQ(a.bytes_in_flight(), 2 * (size + 16));
  EXPECT_FALSE(a.add(f2.chunks[0], 3));
  EXPECT_EQ(a.frames_in_flight(), 2u);
  EXPECT_LE(a.bytes_in_flight(), l.max_bytes_in_flight);
  EXPECT_EQ(a.drops().get(DropReason::kIncomplete), 1u);
  EXPECT_FALSE(a.add(f0.chunks[1], 4));
  EXPECT_TRUE(a.add(f1.chunks[1], 4));
  EXPECT_TRUE(a.add(f2.chunks[1], 4));
}

TEST(FrameAssembler, ExpireDropsOnlyFramesOlderThanTheTimeout) {
  FrameAssembler a(limits());
  ASSERT_TRUE(a.start_sequence(kSeq, 3, 0));
  Frame f0(0, 3), f1(1, 3);
  EXPECT_FALSE(a.add(f0.chunks[0], 0));
  EXPECT_FALSE(a.add(f1.chunks[0], 1000));
  EXPECT_FALSE(a.add(f0.chunks[1], 1900)) << "a later chunk does not extend the deadline";
  EXPECT_EQ(a.expire(1999), 0);
  EXPECT_EQ(a.expire(2000.5), 1);
  EXPECT_EQ(a.frames_in_flight(), 1u);
  EXPECT_EQ(a.expire(2999), 0);
  EXPECT_TRUE(a.add(f1.chunks[1], 2999) == std::nullopt);
  EXPECT_TRUE(a.add(f1.chunks[2], 2999)) << "frame 1 is still alive";
  EXPECT_EQ(a.drops().get(DropReason::kIncomplete), 1u);
}

// ---- chunks that contradict the frame's earlier chunks ----

struct Mutation {
  const char* name;
  void (*apply)(Chunk& chunk, std::vector<uint8_t>& storage);
};

void PrintTo(const Mutation& m, std::ostream* os) { *os << m.name; }

class Inconsistent : public testing::TestWithParam<Mutation> {};

TEST_P(Inconsistent, DropsTheFrameOnceAsIncomplete) {
  FrameAssembler a(limits());
  ASSERT_TRUE(a.start_sequence(kSeq, 2, 0));
  Frame f(0, 5);
  EXPECT_FALSE(a.add(f.chunks[1], 0));
  EXPECT_FALSE(a.add(f.chunks[3], 0));
  Chunk bad = f.chunks[2];
  std::vector<uint8_t> storage(bad.payload.begin(), bad.payload.end());
  GetParam().apply(bad, storage);
  std::optional<DropReason> drop;
  EXPECT_FALSE(a.add(bad, 0, &drop));
  EXPECT_EQ(drop, DropReason::kIncomplete);
  EXPECT_EQ(a.chunks_inconsistent(), 1u);
  EXPECT_EQ(a.drops().get(DropReason::kIncomplete), 1u);
  EXPECT_EQ(a.frames_in_flight(), 0u);
  EXPECT_EQ(a.bytes_in_flight(), 0u);
  EXPECT_TRUE(feed(a, f, in_order(5)).empty()) << "the good chunks cannot complete it any more";
  EXPECT_EQ(a.drops().total(), 1u);
  // Frame 1 is unaffected.
  Frame g(1, 5);
  EXPECT_EQ(feed(a, g, in_order(5)).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, Inconsistent,
    testing::Values(
        Mutation{"chunk_count", [](Chunk& c, std::vector<uint8_t>&) { c.header.chunk_count = 6; }},
        Mutation{"frame_bytes", [](Chunk& c, std::vector<uint8_t>&) { c.header.frame_bytes += 1; }},
        Mutation{"capture_time", [](Chunk& c, std::vector<uint8_t>&) { c.header.capture_time_ms += 1; }},
        Mutation{"gap_after_previous", [](Chunk& c, std::vector<uint8_t>& s) {
                   c.header.chunk_offset += 1;  // starts one byte after chunk 1 ends
                   s.pop_back();
                   c.payload = s;
                 }},
        Mutation{"overlaps_previous", [](Chunk& c, std::vector<uint8_t>& s) {
                   c.header.chunk_offset -= 1;  // still ends where chunk 3 starts
                   s.insert(s.begin(), 0);
                   c.payload = s;
                 }},
        Mutation{"gap_before_next", [](Chunk& c, std::vector<uint8_t>& s) {
                   s.pop_back();  // ends one byte before chunk 3 starts
                   c.payload = s;
                 }},
        Mutation{"overlaps_next", [](Chunk& c, std::vector<uint8_t>& s) {
                   s.push_back(0);
                   c.payload = s;
                 }},
        Mutation{"index_beyond_count", [](Chunk& c, std::vector<uint8_t>&) { c.header.chunk_index = 5; }},
        Mutation{"empty_payload", [](Chunk& c, std::vector<uint8_t>&) { c.payload = {}; }}),
    [](const testing::TestParamInfo<Mutation>& info) { return std::string(info.param.name); });

TEST(FrameAssembler, GapIsFoundWhicheverNeighbourArrivesLast) {
  for (bool bad_first : {true, false}) {
    FrameAssembler a(limits());
    ASSERT_TRUE(a.start_sequence(kSeq, 1, 0));
    Frame f(0, 3);
    Chunk shifted = f.chunks[1];
    std::vector<uint8_t> storage(shifted.payload.begin() + 1, shifted.payload.end());
    shifted.header.chunk_offset += 1;
    shifted.payload = storage;  // leaves byte `offset` of chunk 1 uncovered
    std::vector<Chunk> order = bad_first ? std::vector<Chunk>{shifted, f.chunks[2], f.chunks[0]}
                                         : std::vector<Chunk>{f.chunks[0], f.chunks[2], shifted};
    for (const auto& c : order) EXPECT_FALSE(a.add(c, 0));
    EXPECT_EQ(a.chunks_inconsistent(), 1u) << bad_first;
    EXPECT_EQ(a.drops().get(DropReason::kIncomplete), 1u);
  }
}

TEST(FrameAssembler, FirstAndLastChunkMustReachTheFrameEnds) {
  FrameAssembler a(limits());
  ASSERT_TRUE(a.start_sequence(kSeq, 2, 0));
  Frame f(0, 3);
  Chunk first = f.chunks[0];
  first.header.chunk_offset = 1;
  first.payload = first.payload.subspan(1);
  EXPECT_FALSE(a.add(first, 0));
  Frame g(1, 3);
  Chunk last = g.chunks[2];
  last.payload = last.payload.first(last.payload.size() - 1);
  EXPECT_FALSE(a.add(last, 0));
  EXPECT_EQ(a.chunks_inconsistent(), 2u);
  EXPECT_EQ(a.drops().get(DropReason::kIncomplete), 2u);
}

// ---- sequences ----

TEST(FrameAssembler, RefusesZeroOrTooManyPlannedFramesAndKeepsTheOpenSequence) {
  AssemblerLimits l = limits();
  l.max_sequence_frames = 150;
  FrameAssembler a(l);
  EXPECT_FALSE(a.start_sequence(1, 0, 0));
  EXPECT_FALSE(a.start_sequence(1, 151, 0));
  EXPECT_FALSE(a.sequence_open());
  ASSERT_TRUE(a.start_sequence(kSeq, 150, 0));
  EXPECT_FALSE(a.start_sequence(8, 151, 0));
  EXPECT_TRUE(a.sequence_open());
  EXPECT_EQ(a.current_seq(), kSeq);
  Frame f(149, 2);
  EXPECT_EQ(feed(a, f, in_order(2)).size(), 1u);
}

TEST(FrameAssembler, NewSequenceClosesTheOpenOne) {
  FrameAssembler a(limits());
  ASSERT_TRUE(a.start_sequence(kSeq, 5, 0));
  Frame old(0, 3);
  EXPECT_FALSE(a.add(old.chunks[0], 0));
  ASSERT_TRUE(a.start_sequence(kSeq + 1, 5, 0));
  EXPECT_EQ(a.current_seq(), kSeq + 1);
  EXPECT_EQ(a.frames_in_flight(), 0u) << "the old partial frame was dropped";
  EXPECT_EQ(a.bytes_in_flight(), 0u);
  std::optional<DropReason> drop;
  EXPECT_FALSE(a.add(old.chunks[1], 0, &drop));
  EXPECT_EQ(drop, DropReason::kOutOfRange);
  Frame fresh(0, 3, kSeq + 1);
  EXPECT_EQ(feed(a, fresh, in_order(3)).size(), 1u);
}

TEST(FrameAssembler, EndSequenceNeedsTheOpenSeq) {
  FrameAssembler a(limits());
  EXPECT_FALSE(a.end_sequence(kSeq));
  ASSERT_TRUE(a.start_sequence(kSeq, 5, 0));
  EXPECT_FALSE(a.end_sequence(kSeq + 1));
  EXPECT_TRUE(a.sequence_open());
  EXPECT_TRUE(a.end_sequence(kSeq));
  EXPECT_FALSE(a.end_sequence(kSeq));
}

TEST(FrameAssembler, CountsSurviveEndSequenceUntilTheNextStart) {
  FrameAssembler a(limits());
  ASSERT_TRUE(a.start_sequence(kSeq, 2, 0));
  Frame f0(0, 2), f1(1, 2);
  EXPECT_EQ(feed(a, f0, in_order(2)).size(), 1u);
  EXPECT_FALSE(a.add(f1.chunks[0], 0));
  ASSERT_TRUE(a.end_sequence(kSeq));
  EXPECT_EQ(a.frames_completed(), 1u);
  EXPECT_EQ(a.bytes_completed(), f0.jpeg.size());
  EXPECT_EQ(a.drops().get(DropReason::kIncomplete), 1u);
  ASSERT_TRUE(a.start_sequence(kSeq + 1, 2, 0));
  EXPECT_EQ(a.frames_completed(), 0u);
  EXPECT_EQ(a.bytes_completed(), 0u);
  EXPECT_EQ(a.drops().total(), 0u);
}

}  // namespace
}  // namespace sueo::frames
