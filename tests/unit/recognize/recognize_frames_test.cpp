// The library half of `sueo recognize`: reading a folder of frames, and parity with the server — the
// CLI's result on a JPEG folder must equal what a server session's path gives on the same bytes:
// chunks (protocol v1) → FrameAssembler → WorkerPool task → FrameStream + Recognizer, built here the
// way transport/session.cpp does, independently of recognize_frames.cpp.
#include "pipeline/recognize_frames.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <future>

#include "frames/assembler.h"
#include "frames/chunk.h"
#include "frames/worker_pool.h"
#include "test_support.h"

namespace sueo {
namespace {

using namespace recognize_test;

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

TEST(NaturalLess, NumbersCompareAsNumbers) {
  std::vector<std::string> names = {"f10.jpg", "f2.jpg", "f1.jpg", "f02.jpg", "a.jpg", "f100.jpg", "f9.jpeg"};
  std::sort(names.begin(), names.end(), natural_less);
  EXPECT_EQ(names, (std::vector<std::string>{"a.jpg", "f1.jpg", "f2.jpg", "f02.jpg", "f9.jpeg", "f10.jpg", "f100.jpg"}));
  EXPECT_FALSE(natural_less("f1", "f1"));
  EXPECT_TRUE(natural_less("f1", "f1a"));
  EXPECT_FALSE(natural_less("f1a", "f1"));
}

TEST(ReadJpegFolder, TakesJpegFilesInNaturalOrderStampedAtFps) {
  TempDir dir("folder");
  for (const char* name : {"f10.jpg", "f2.JPEG", "f1.jpg", "notes.txt"}) write_file(dir.path() / name, name);
  fs::create_directory(dir.path() / "sub.jpg");  // a folder named like a frame is not a frame
  const auto frames = read_jpeg_folder(dir.path().string(), 20);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(std::string(frames[0].jpeg.begin(), frames[0].jpeg.end()), "f1.jpg");
  EXPECT_EQ(std::string(frames[1].jpeg.begin(), frames[1].jpeg.end()), "f2.JPEG");
  EXPECT_EQ(std::string(frames[2].jpeg.begin(), frames[2].jpeg.end()), "f10.jpg");
  EXPECT_DOUBLE_EQ(frames[0].capture_ms, 0);
  EXPECT_DOUBLE_EQ(frames[2].capture_ms, 100);

  TempDir empty("empty");
  write_file(empty.path() / "readme.txt", "x");
  EXPECT_THROW(read_jpeg_folder(empty.path().string(), 15), std::runtime_error);
  EXPECT_THROW(read_jpeg_folder((dir.path() / "f1.jpg").string(), 15), std::runtime_error);  // a file
  EXPECT_THROW(read_jpeg_folder((dir.path() / "missing").string(), 15), std::runtime_error);
}

// The server's path for one sequence, as transport/session.cpp drives it.
nlohmann::json server_result(const std::shared_ptr<const RecognitionModels>& models,
                             const std::vector<std::vector<uint8_t>>& jpegs, double fps) {
  constexpr uint32_t kSeq = 42;
  constexpr uint64_t kSessionKey = 7;
  frames::FrameAssembler assembler(frames::AssemblerLimits{});
  frames::WorkerPool pool(2, 512);
  auto stream = std::make_shared<FrameStream>(std::make_unique<Recognizer>(models));
  const auto planned = static_cast<uint32_t>(jpegs.size());
  EXPECT_TRUE(assembler.start_sequence(kSeq, planned, 0));
  pool.submit(kSessionKey, [stream, planned](frames::WorkerContext&) { stream->start({kSeq, planned, SequenceMode::kWindow}); }, true);
  for (uint32_t i = 0; i < planned; ++i) {
    for (const auto& message : frames::make_chunks(kSeq, i, i * 1000.0 / fps, jpegs[i], 16384)) {
      frames::ParseError error;
      const auto chunk = frames::parse_chunk(message, 4u << 20, error);
      EXPECT_TRUE(chunk.has_value()) << error.message;
      if (!chunk) continue;
      if (auto frame = assembler.add(*chunk, 1.0)) {
        pool.submit(kSessionKey, [stream, f = std::move(*frame)](frames::WorkerContext& context) mutable {
          std::string decode_error;
          stream->add_frame(std::move(f), context, decode_error);
        });
      }
    }
  }
  EXPECT_TRUE(assembler.end_sequence(kSeq));
  std::promise<nlohmann::json> done;
  pool.submit(kSessionKey, [&, stream](frames::WorkerContext& context) {
    done.set_value(stream->finish({kSeq, true}, planned, assembler.drops(), 0, 0, false, context).result);
  }, true);
  return done.get_future().get();
}

TEST(RecognizeParity, CliOnAJpegFolderEqualsTheServersFrameStream) {
  if (!have_landmark_models()) GTEST_SKIP() << "models/ has no landmark models: run models/fetch.sh";
  if (!have_ffmpeg()) GTEST_SKIP() << "ffmpeg is not installed (scripts/apt-packages.txt)";
  TempDir dir("parity");
  ASSERT_TRUE(ffmpeg_frames(clip("c09_face_s11_c6804109.mp4"), dir.path()));

  const CommandRun cli = run_recognize("--fps 15 " + quoted(dir.path().string()));
  ASSERT_EQ(cli.status, 0) << cli.output;
  const auto lines = json_lines(cli.output);
  ASSERT_EQ(lines.size(), 1u);
  const nlohmann::json& mine = lines[0];

  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir.path())) files.push_back(entry.path());
  std::sort(files.begin(), files.end());  // f0001.jpg …: plain order is frame order
  std::vector<std::vector<uint8_t>> jpegs;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    jpegs.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const auto models = RecognitionModels::load(source("models").string(), source("models/sueo-ksl.onnx").string());
  const nlohmann::json server = server_result(models, jpegs, 15);

  ASSERT_TRUE(server.at("word").is_string()) << server.dump();
  EXPECT_EQ(mine.at("word"), server.at("word"));
  EXPECT_NEAR(mine.at("score").get<double>(), server.at("score").get<double>(), 1e-5);
  ASSERT_EQ(mine.at("top").size(), server.at("top").size());
  for (size_t i = 0; i < server.at("top").size(); ++i) {
    EXPECT_EQ(mine["top"][i]["word"], server["top"][i]["word"]) << i;
    EXPECT_NEAR(mine["top"][i]["score"].get<double>(), server["top"][i]["score"].get<double>(), 1e-5) << i;
  }
  EXPECT_EQ(mine["frames"]["used"], server["frames"]["used"]);
  EXPECT_EQ(mine["frames"]["with_pose"], server["frames"]["with_pose"]);
  EXPECT_EQ(mine["frames"]["with_hands"], server["frames"]["with_hands"]);
  EXPECT_EQ(mine["frames"]["decoded"].get<size_t>(), jpegs.size());
}

}  // namespace
}  // namespace sueo
