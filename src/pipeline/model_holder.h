// The server's current models, swappable without a restart: a new classifier file is loaded, checked
// against the contract and warmed up beside the running one, then published in one atomic store.
// Sessions read current() when a sequence starts, so a sequence in flight finishes on the model it
// started with; the old model is freed when its last sequence ends. A file that fails to load is
// refused and the old model stays.
//
// Thread: current() from any thread. swap_classifier() from one thread at a time (it loads and warms
// up: keep it off the GLib main loop).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "pipeline/recognizer.h"

namespace sueo {

class ModelHolder {
 public:
  explicit ModelHolder(std::shared_ptr<const RecognitionModels> initial);

  std::shared_ptr<const RecognitionModels> current() const { return std::atomic_load(&current_); }
  // Counts successful swaps (0 at start).
  uint64_t generation() const { return generation_.load(); }

  // Loads `path` as the classifier, keeping the landmark models. Throws sign::ModelError (or
  // std::runtime_error) naming what is wrong, and the current model stays.
  std::shared_ptr<const RecognitionModels> swap_classifier(const std::string& path);

 private:
  std::shared_ptr<const RecognitionModels> current_;
  std::atomic<uint64_t> generation_{0};
  std::mutex swapping_;
};

}  // namespace sueo
