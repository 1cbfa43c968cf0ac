#include "pipeline/model_holder.h"

#include <filesystem>
#include <stdexcept>

namespace sueo {

ModelHolder::ModelHolder(std::shared_ptr<const RecognitionModels> initial) : current_(std::move(initial)) {
  if (!current_) throw std::invalid_argument("ModelHolder needs models");
}

std::shared_ptr<const RecognitionModels> ModelHolder::swap_classifier(const std::string& path) {
  const std::lock_guard lock(swapping_);
  const auto old = current();
  auto next = std::make_shared<RecognitionModels>(*old);  // the landmark models are shared, not reloaded
  next->classifier = sign::ClassifierModel::load(path);    // validates and warms up; throws on a bad file
  next->name = std::filesystem::path(path).stem().string();
  std::shared_ptr<const RecognitionModels> published = std::move(next);
  std::atomic_store(&current_, published);
  generation_.fetch_add(1);
  return published;
}

}  // namespace sueo
