// Random and mutated messages through parse_chunk and FrameAssembler, with a fixed seed so a failure
// reproduces: nothing crashes (run under -DSUEO_SANITIZE=ON to see out-of-bounds reads), what the parser
// accepts obeys every header rule, and the assembler's memory stays within its limits.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "frames/assembler.h"
#include "frames/chunk.h"

namespace sueo::frames {
namespace {

constexpr uint32_t kMaxFrameBytes = 8192;
constexpr uint32_t kOpenSeq = 1000;

AssemblerLimits fuzz_limits() {
  AssemblerLimits l;
  l.max_frame_bytes = kMaxFrameBytes;
  l.max_sequence_frames = 64;
  l.frame_timeout_ms = 500;
  l.max_frames_in_flight = 16;
  l.max_bytes_in_flight = 64 * 1024;
  return l;
}

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  size_t below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  uint8_t byte() { return static_cast<uint8_t>(below(256)); }

  std::vector<uint8_t> random_bytes(size_t n) {
    std::vector<uint8_t> v(n);
    for (auto& b : v) b = byte();
    return v;
  }

  // The chunks of a frame of random content; mostly of the open sequence and in range.
  std::vector<std::vector<uint8_t>> frame() {
    const uint32_t seq = below(8) == 0 ? static_cast<uint32_t>(rng_()) : kOpenSeq;
    const auto index = static_cast<uint32_t>(below(72));  // planned is 64: some out of range
    const auto bytes = random_bytes(1 + below(below(10) == 0 ? 12000 : 3000));  // some oversized
    return make_chunks(seq, index, static_cast<double>(index), bytes, 33 + below(1500));
  }

  std::vector<uint8_t> mutate(std::vector<uint8_t> m) {
    switch (below(5)) {
      case 0:  // flip bytes anywhere, header included
        for (size_t n = 1 + below(4); n > 0; --n) m[below(m.size())] ^= static_cast<uint8_t>(1 + below(255));
        break;
      case 1:  // a random value in one header field's bytes
        for (size_t at = below(32), n = 1 + below(8); n > 0 && at < m.size(); --n, ++at) m[at] = byte();
        break;
      case 2:  // truncate
        m.resize(below(m.size() + 1));
        break;
      case 3: {  // grow
        const auto more = random_bytes(1 + below(64));
        m.insert(m.end(), more.begin(), more.end());
        break;
      }
      default:  // extreme values in u16/u32 fields
        if (m.size() >= 24) {
          const size_t fields[] = {2, 12, 14, 16, 20};
          const size_t at = fields[below(5)];
          const uint8_t v = below(2) ? 0xFF : 0x00;
          for (size_t i = 0; i < (at >= 16 ? 4u : 2u); ++i) m[at + i] = v;
        }
    }
    return m;
  }

  template <typename T>
  void shuffle(std::vector<T>& v) {
    std::shuffle(v.begin(), v.end(), rng_);
  }

 private:
  std::mt19937 rng_;
};

// What parse_chunk accepted must obey every rule of docs/protocol.md §2, checked here independently.
void expect_valid(const Chunk& c, std::span<const uint8_t> message) {
  const ChunkHeader& h = c.header;
  ASSERT_GE(message.size(), kHeaderBytes);
  EXPECT_EQ(message[0], 1);
  EXPECT_EQ(message[1], 1);
  EXPECT_GE(c.payload.data(), message.data() + kHeaderBytes);
  EXPECT_EQ(c.payload.data() + c.payload.size(), message.data() + message.size());
  EXPECT_GE(h.chunk_count, 1);
  EXPECT_LT(h.chunk_index, h.chunk_count);
  EXPECT_GE(h.frame_bytes, 1u);
  EXPECT_LE(h.frame_bytes, kMaxFrameBytes);
  EXPECT_FALSE(c.payload.empty());
  EXPECT_LE(uint64_t{h.chunk_offset} + c.payload.size(), h.frame_bytes);
  EXPECT_TRUE(std::isfinite(h.capture_time_ms));
}

TEST(Fuzz, RandomAndMutatedMessagesKeepTheAssemblerBounded) {
  const AssemblerLimits limits = fuzz_limits();
  FrameAssembler assembler(limits);
  Generator gen(20261126);
  ASSERT_TRUE(assembler.start_sequence(kOpenSeq, 64, 0));
  double now = 0;
  size_t messages = 0, accepted = 0, completed = 0;
  size_t max_in_flight = 0;
  while (messages < 6000) {
    std::vector<std::vector<uint8_t>> batch;
    switch (gen.below(4)) {
      case 0:  // pure noise, sometimes with a plausible version and kind
        batch.push_back(gen.random_bytes(gen.below(120)));
        if (batch.back().size() >= 2 && gen.below(2)) batch.back()[0] = batch.back()[1] = 1;
        break;
      case 1:  // a frame with some chunks mutated, lost or repeated, in random order
        batch = gen.frame();
        for (auto& m : batch)
          if (gen.below(4) == 0) m = gen.mutate(std::move(m));
        if (gen.below(3) == 0) batch.erase(batch.begin() + static_cast<long>(gen.below(batch.size())));
        if (!batch.empty() && gen.below(3) == 0) batch.push_back(batch[gen.below(batch.size())]);
        gen.shuffle(batch);
        break;
      default:  // a clean frame
        batch = gen.frame();
    }
    for (const auto& m : batch) {
      ++messages;
      now += 0.5;
      ParseError error;
      const auto chunk = parse_chunk(m, kMaxFrameBytes, error);
      if (!chunk) {
        EXPECT_TRUE(error.code == "bad_chunk" || error.code == "oversized") << error.code;
        EXPECT_FALSE(error.message.empty());
        continue;
      }
      ++accepted;
      expect_valid(*chunk, m);
      std::optional<DropReason> drop;
      if (auto frame = assembler.add(*chunk, now, &drop)) {
        ++completed;
        EXPECT_FALSE(drop);
        EXPECT_GE(frame->jpeg.size(), 1u);
        EXPECT_LE(frame->jpeg.size(), kMaxFrameBytes);
        EXPECT_LT(frame->frame_index, 64u);
      }
      ASSERT_LE(assembler.frames_in_flight(), limits.max_frames_in_flight);
      ASSERT_LE(assembler.bytes_in_flight(), limits.max_bytes_in_flight);
      max_in_flight = std::max(max_in_flight, assembler.frames_in_flight());
    }
    if (gen.below(10) == 0) assembler.expire(now);
    if (gen.below(150) == 0) {  // a new sequence now and then
      assembler.end_sequence(kOpenSeq);
      ASSERT_EQ(assembler.frames_in_flight(), 0u);
      ASSERT_EQ(assembler.bytes_in_flight(), 0u);
      ASSERT_TRUE(assembler.start_sequence(kOpenSeq, 64, now));
    }
  }
  // The run exercised what it claims to: most kinds of outcome happened.
  EXPECT_GT(accepted, messages / 3);
  EXPECT_GT(completed, 50u);
  EXPECT_GT(max_in_flight, 4u);
  RecordProperty("messages", static_cast<int>(messages));
}

TEST(Fuzz, NoiseDoesNotDisturbCleanFrames) {
  // Clean frames of the open sequence, chunks shuffled across frames, mixed with noise that is either
  // refused by the parser or names another sequence: every clean frame completes byte-exact.
  FrameAssembler assembler(fuzz_limits());
  Generator gen(7);
  ASSERT_TRUE(assembler.start_sequence(kOpenSeq, 64, 0));
  std::map<uint32_t, std::vector<uint8_t>> originals;
  std::vector<std::vector<uint8_t>> stream;
  for (uint32_t index = 0; index < 64; index += 1) {
    originals[index] = gen.random_bytes(1 + gen.below(2000));
    for (auto& m : make_chunks(kOpenSeq, index, 0, originals[index], 33 + gen.below(700))) stream.push_back(m);
  }
  // Shuffle within windows of 40 messages, so that few frames are in flight at once (limit 16).
  for (size_t at = 0; at < stream.size(); at += 40) {
    const auto end = stream.begin() + static_cast<long>(std::min(stream.size(), at + 40));
    std::shuffle(stream.begin() + static_cast<long>(at), end, std::mt19937(static_cast<uint32_t>(at)));
  }
  std::map<uint32_t, std::vector<uint8_t>> done;
  for (const auto& m : stream) {
    for (int n = 0; n < 3; ++n) {
      auto noise = gen.random_bytes(gen.below(200));
      if (noise.size() >= 8 && gen.below(2)) {
        noise[0] = noise[1] = 1;
        if (noise[4] == 0 && noise[5] == 0) noise[4] = 1;  // never the open seq (1000 = 0x000003E8)
      }
      ParseError error;
      if (auto chunk = parse_chunk(noise, kMaxFrameBytes, error)) {
        ASSERT_NE(chunk->header.seq, kOpenSeq);
        EXPECT_FALSE(assembler.add(*chunk, 0));
      }
    }
    ParseError error;
    const auto chunk = parse_chunk(m, kMaxFrameBytes, error);
    ASSERT_TRUE(chunk) << error.message;
    if (auto frame = assembler.add(*chunk, 0)) done[frame->frame_index] = std::move(frame->jpeg);
  }
  EXPECT_EQ(done, originals);
  EXPECT_EQ(assembler.drops().get(DropReason::kIncomplete), 0u);
}

}  // namespace
}  // namespace sueo::frames
