// Offline recognition through exactly the server's path: a sequence of JPEG frames goes through a
// FrameStream with a Recognizer as its consumer (JPEG decode → landmarks → preprocessing →
// classifier), as one sequence of one session does in `sueo serve`. `sueo recognize` feeds it the
// frames of a video (encoded as the page would) or of a folder of JPEGs.
//
//   auto models = RecognitionModels::load(models_dir, model_path);   // once
//   frames::WorkerContext context;                                    // one per thread
//   FramesOutcome out = recognize_jpeg_frames(models, read_jpeg_folder(dir, 15), context);
//   nlohmann::json line = recognition_json(out);
//
// Thread: recognize_jpeg_frames() on any thread with its own WorkerContext (it builds its own
// FrameStream and Recognizer); the rest are pure functions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "frames/worker_pool.h"
#include "pipeline/recognizer.h"

namespace sueo {

// One frame as the page sends it: JPEG bytes and when it was drawn (page clock, milliseconds; only
// differences matter: they set MediaPipe's smoothing).
struct JpegFrame {
  std::vector<uint8_t> jpeg;
  double capture_ms = 0;
};

struct FramesOutcome {
  nlohmann::json receipt;        // docs/protocol.md §3, with "detail"
  nlohmann::json result;         // docs/protocol.md §4, as the server would send it
  uint32_t sent = 0;             // frames fed to the stream
  double landmarks_total_ms = 0; // the Recognizer's on_frame, summed over the frames
  double total_ms = 0;           // start() to finish(), decode + landmarks + classifier
};

// Runs `frames` as one sequence through a fresh FrameStream + Recognizer (a new session's state).
// Frames that do not decode are dropped and counted as the server counts them (bad_jpeg).
// `landmark_every` as the server's --landmark-every (Recognizer). `teaching` (optional): taught words
// join the decision, as in the server (docs/teach.md).
FramesOutcome recognize_jpeg_frames(std::shared_ptr<const RecognitionModels> models, std::vector<JpegFrame> frames,
                                    frames::WorkerContext& context, int landmark_every = 1,
                                    std::shared_ptr<const TeachingHooks> teaching = nullptr);

// The `sueo recognize` line for an outcome: word, gloss, score, top, words (every named sign's word, in
// order), frames {sent, decoded, used,
// with_pose, with_hands, dropped}, width, height, model, and "ms" {jpeg_decode_median, landmarks_median,
// landmarks_p90, landmarks_total, classifier, pipeline_total}. A sequence with no word has
// word/gloss/score null, an empty top, the Recognizer's `reason` code and its `message`.
nlohmann::json recognition_json(const FramesOutcome& outcome);

// The files of `folder` ending in .jpg/.jpeg (any case), in natural order of their names (f2 before
// f10), each stamped i × 1000 / fps ms. Throws std::runtime_error when `folder` is not a readable
// folder, holds no JPEG file, or a file cannot be read.
std::vector<JpegFrame> read_jpeg_folder(const std::string& folder, double fps);

// True when `a` sorts before `b` with runs of digits compared as numbers ("f2" < "f10").
bool natural_less(const std::string& a, const std::string& b);

}  // namespace sueo
