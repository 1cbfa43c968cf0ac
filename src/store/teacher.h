// Every change to what the server recognises, done on one background thread so the GLib main loop
// never waits for the disk or a model: teach / rename / remove a word (store write, then the taught
// prototypes rebuilt with the current model), and swap the model file (load, check, warm up, publish,
// then the prototypes rebuilt for it). Results come back through a callback on that thread; the
// transport posts them to the main loop.
//
// The store file is opened on first use: a server nobody teaches never creates it.
//
// Thread: the public methods from any thread (they queue a job); callbacks run on the teacher's
// thread. taught() from any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "pipeline/model_holder.h"
#include "store/taught_words.h"

namespace sueo::store {

class Teacher {
 public:
  // `status` is an HTTP status: 200, 400 (bad input), 404 (no such word), 409 (already taught), 422
  // (a model file that does not meet the contract), 500 (the store failed).
  using Done = std::function<void(int status, nlohmann::json body)>;

  Teacher(std::string store_path, ModelHolder& models);
  ~Teacher();
  Teacher(const Teacher&) = delete;
  Teacher& operator=(const Teacher&) = delete;

  // The taught words for the current model (empty until the first refresh; never null).
  std::shared_ptr<const sign::TaughtSet> taught() const;
  bool available() const;  // the current model has an embedding output

  void list(Done done);
  void add(std::string word, std::string gloss, std::vector<sign::Sequence> examples, std::string session, bool replace,
           Done done);
  void rename(std::string word, std::string to, std::string gloss, Done done);
  void remove(std::string word, Done done);
  void reload_model(std::string path, Done done);
  // Rebuilds the prototypes if the store changed behind our back (`sueo vocab` while serving).
  void refresh(Done done = nullptr);
  // Waits until every job queued so far has run (tests, shutdown).
  void drain();

  const std::string& store_path() const { return path_; }

 private:
  void post(std::function<void()> job);
  void run();
  VocabStore* store(bool create);   // opened on first use; null when absent and !create
  bool refresh_now();               // on the teacher's thread
  sign::Classifier& classifier();   // for the current model, rebuilt after a swap

  std::string path_;
  ModelHolder& models_;
  std::shared_ptr<VocabStore> store_;
  std::unique_ptr<TaughtWords> taught_;          // teacher's thread only
  std::shared_ptr<const sign::TaughtSet> published_;  // atomic_load/store: read by every session
  std::shared_ptr<const RecognitionModels> classifier_models_;
  std::unique_ptr<sign::Classifier> classifier_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  size_t busy_ = 0;
  std::condition_variable idle_;
  std::thread thread_;
};

}  // namespace sueo::store
