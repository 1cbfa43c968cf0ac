#include "store/teacher.h"

#include <chrono>
#include <filesystem>

#include "metrics.h"

namespace sueo::store {
namespace {

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

nlohmann::json word_json(const TaughtWord& w) {
  return {{"word", w.word}, {"gloss", w.gloss}, {"examples", w.example_count}, {"taught_at_ms", w.taught_at_ms},
          {"session", w.session}, {"landmark_bytes", w.landmark_bytes}};
}

nlohmann::json error_json(const std::string& code, const std::string& message) {
  return {{"error", code}, {"message", message}};
}

}  // namespace

Teacher::Teacher(std::string store_path, ModelHolder& models)
    : path_(std::move(store_path)), models_(models), published_(std::make_shared<const sign::TaughtSet>()) {
  thread_ = std::thread([this] { run(); });
  refresh();  // a store left by an earlier run is in use as soon as its prototypes are built
}

Teacher::~Teacher() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::shared_ptr<const sign::TaughtSet> Teacher::taught() const { return std::atomic_load(&published_); }

bool Teacher::available() const {
  const auto m = models_.current();
  return m->classifier && m->classifier->embedding_size() > 0;
}

void Teacher::post(std::function<void()> job) {
  {
    const std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void Teacher::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and nothing left to do
      job = std::move(jobs_.front());
      jobs_.pop_front();
      ++busy_;
    }
    job();  // each job catches its own errors and reports them through its callback
    {
      const std::lock_guard lock(mutex_);
      --busy_;
    }
    idle_.notify_all();
  }
}

void Teacher::drain() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [&] { return jobs_.empty() && busy_ == 0; });
}

VocabStore* Teacher::store(bool create) {
  if (!store_ && (create || std::filesystem::exists(path_))) {
    store_ = std::make_shared<VocabStore>(path_);
    taught_ = std::make_unique<TaughtWords>(store_);
  }
  return store_.get();
}

sign::Classifier& Teacher::classifier() {
  const auto m = models_.current();
  if (!classifier_ || classifier_models_ != m) {
    classifier_ = std::make_unique<sign::Classifier>(m->classifier, 1);
    classifier_models_ = m;
  }
  return *classifier_;
}

bool Teacher::refresh_now() {
  const auto m = models_.current();
  if (!m->classifier) return false;
  if (!store(false)) {
    // No store yet: an empty set, but one that belongs to this model.
    auto empty = std::make_shared<sign::TaughtSet>();
    empty->model_id = m->classifier->id();
    std::atomic_store(&published_, std::shared_ptr<const sign::TaughtSet>(std::move(empty)));
    return false;
  }
  const bool rebuilt = taught_->refresh(classifier());
  std::atomic_store(&published_, taught_->current());
  return rebuilt;
}

void Teacher::refresh(Done done) {
  post([this, done] {
    try {
      const bool rebuilt = refresh_now();
      if (done) done(200, {{"rebuilt", rebuilt}, {"words", taught()->words.size()}});
    } catch (const std::exception& error) {
      if (done) done(500, error_json("store_failed", error.what()));
    }
  });
}

void Teacher::list(Done done) {
  post([this, done] {
    try {
      nlohmann::json words = nlohmann::json::array();
      int64_t revision = 0, bytes = 0;
      if (VocabStore* s = store(false)) {
        for (const auto& w : s->list(false)) words.push_back(word_json(w));
        revision = s->revision();
        bytes = s->file_bytes();
      }
      done(200, {{"words", words}, {"revision", revision}, {"store_bytes", bytes}, {"teach_available", available()}});
    } catch (const std::exception& error) {
      done(500, error_json("store_failed", error.what()));
    }
  });
}

void Teacher::add(std::string word, std::string gloss, std::vector<sign::Sequence> examples, std::string session,
                  bool replace, Done done) {
  post([this, word = std::move(word), gloss = std::move(gloss), examples = std::move(examples),
        session = std::move(session), replace, done] {
    const auto begin = std::chrono::steady_clock::now();
    try {
      if (!available()) {
        done(409, error_json("teach_unavailable", "the model has no embedding output: it cannot learn new words"));
        return;
      }
      VocabStore::validate(word, gloss, examples);  // before the file is created for a bad request
      store(true)->add_word(word, gloss, examples, session, replace);
      const double saved_ms = ms_since(begin);
      refresh_now();
      done(200, {{"word", word}, {"gloss", gloss}, {"examples", examples.size()}, {"saved_ms", saved_ms},
                 {"usable_ms", ms_since(begin)}, {"store_bytes", store_->file_bytes()},
                 {"revision", store_->revision()}});
    } catch (const InvalidInput& error) {
      const bool taken = std::string(error.what()).find("already taught") != std::string::npos;
      done(taken ? 409 : 400, error_json(taken ? "already_taught" : "invalid_input", error.what()));
    } catch (const std::exception& error) {
      done(500, error_json("store_failed", error.what()));
    }
  });
}

void Teacher::rename(std::string word, std::string to, std::string gloss, Done done) {
  post([this, word = std::move(word), to = std::move(to), gloss = std::move(gloss), done] {
    try {
      VocabStore* s = store(false);
      if (!s || !s->rename_word(word, to, gloss)) {
        done(404, error_json("not_taught", "'" + word + "' is not taught"));
        return;
      }
      refresh_now();
      done(200, {{"word", to}, {"gloss", gloss}, {"revision", s->revision()}});
    } catch (const InvalidInput& error) {
      done(400, error_json("invalid_input", error.what()));
    } catch (const std::exception& error) {
      done(500, error_json("store_failed", error.what()));
    }
  });
}

void Teacher::remove(std::string word, Done done) {
  post([this, word = std::move(word), done] {
    try {
      VocabStore* s = store(false);
      if (!s || !s->remove_word(word)) {
        done(404, error_json("not_taught", "'" + word + "' is not taught"));
        return;
      }
      refresh_now();
      done(200, {{"removed", word}, {"revision", s->revision()}});
    } catch (const std::exception& error) {
      done(500, error_json("store_failed", error.what()));
    }
  });
}

void Teacher::reload_model(std::string path, Done done) {
  post([this, path = std::move(path), done] {
    const auto begin = std::chrono::steady_clock::now();
    try {
      const auto m = models_.swap_classifier(path);
      Metrics::global().add("model.swaps");
      refresh_now();  // the taught words' prototypes in the new model's embedding
      done(200, {{"model", m->describe()}, {"generation", models_.generation()}, {"ms", ms_since(begin)}});
    } catch (const sign::ModelError& error) {
      Metrics::global().add("model.swaps_refused");
      done(422, error_json("model_invalid", error.what()));
    } catch (const std::exception& error) {
      done(500, error_json("model_failed", error.what()));
    }
  });
}

}  // namespace sueo::store
