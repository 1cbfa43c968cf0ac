#include "sign/classifier.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>

#include "sign/onnx_info.h"
#include "sign/resample.h"

namespace sueo::sign {
namespace {

constexpr int32_t kOnnxFloat = 1;  // onnx.TensorProto.DataType.FLOAT
constexpr int kDynamicWarmupFrames = 32;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ModelError("cannot open model file '" + path + "'");
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Labels are an array of {"word", "gloss"} objects or of plain strings (gloss left empty), either
// bare or under a "labels" key.
std::vector<Label> parse_labels(const std::string& text, const std::string& where) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& error) {
    throw ModelError(where + " is not valid JSON: " + error.what());
  }
  if (json.is_object() && json.contains("labels")) json = json["labels"];
  if (!json.is_array() || json.empty()) throw ModelError(where + " must be a non-empty JSON array of labels");
  std::vector<Label> labels;
  for (const auto& item : json) {
    if (item.is_string()) {
      labels.push_back({item.get<std::string>(), ""});
    } else if (item.is_object() && item.contains("word") && item["word"].is_string()) {
      const auto gloss = item.value("gloss", nlohmann::json(""));
      labels.push_back(
          {item["word"].get<std::string>(), gloss.is_string() ? gloss.get<std::string>() : gloss.dump()});
    } else {
      throw ModelError(where + ": label " + std::to_string(labels.size()) +
                       " is neither a string nor an object with a string \"word\"");
    }
  }
  return labels;
}

std::vector<Label> find_labels(const std::string& path, const OnnxInfo& info) {
  if (const auto it = info.metadata.find("sueo.labels"); it != info.metadata.end()) {
    return parse_labels(it->second, "metadata_props 'sueo.labels' of " + path);
  }
  const std::filesystem::path model(path);
  const std::filesystem::path candidates[] = {std::filesystem::path(model).replace_extension(".labels.json"),
                                              std::filesystem::path(path + ".labels.json")};
  for (const auto& sidecar : candidates) {
    if (std::filesystem::exists(sidecar)) return parse_labels(read_file(sidecar.string()), sidecar.string());
  }
  throw ModelError("model '" + path +
                   "' has no labels: add metadata_props key 'sueo.labels' (JSON array of " +
                   "{\"word\", \"gloss\"}) or a sidecar file '" + candidates[0].string() + "'");
}

int metadata_int(const OnnxInfo& info, const std::string& key, int fallback, const std::string& path) {
  const auto it = info.metadata.find(key);
  if (it == info.metadata.end()) return fallback;
  try {
    size_t used = 0;
    const int value = std::stoi(it->second, &used);
    if (used != it->second.size() || value < 0) throw std::invalid_argument(key);
    return value;
  } catch (const std::exception&) {
    throw ModelError(path + ": metadata '" + key + "' = '" + it->second + "' is not a non-negative integer");
  }
}

// The input must be float32 [1, T, 258] (T fixed or dynamic). Returns T, or 0 when dynamic.
int check_input(const OnnxInfo& info, const std::string& path) {
  if (info.inputs.size() != 1) {
    throw ModelError(path + ": the contract wants exactly one input [1, T, 258], the model has " +
                     std::to_string(info.inputs.size()));
  }
  const OnnxTensorInfo& in = info.inputs[0];
  const std::string got = "input '" + in.name + "' is " + describe_dims(in);
  if (in.elem_type != kOnnxFloat) {
    throw ModelError(path + ": input '" + in.name + "' must be float32 (ONNX elem_type 1), not elem_type " +
                     std::to_string(in.elem_type));
  }
  if (!in.has_shape || in.dims.size() != 3)
    throw ModelError(path + ": " + got + "; the contract wants [1, T, 258]");
  if (in.dims[0] && *in.dims[0] != 1) throw ModelError(path + ": " + got + "; the batch dimension must be 1");
  if (!in.dims[2] || *in.dims[2] != static_cast<int64_t>(kFrameValues)) {
    throw ModelError(path + ": " + got + "; the last dimension must be 258 (Holistic layout: pose 33x4, " +
                     "left hand 21x3, right hand 21x3)");
  }
  if (in.dims[1] && *in.dims[1] < 1) throw ModelError(path + ": " + got + "; T must be at least 1");
  return in.dims[1] ? static_cast<int>(*in.dims[1]) : 0;
}

cv::Mat to_blob(const Sequence& frames) {
  const int shape[] = {1, static_cast<int>(frames.size()), static_cast<int>(kFrameValues)};
  cv::Mat blob(3, shape, CV_32F);
  for (size_t t = 0; t < frames.size(); ++t) {
    std::copy(frames[t].begin(), frames[t].end(), blob.ptr<float>() + t * kFrameValues);
  }
  return blob;
}

std::vector<float> run(cv::dnn::Net& net, const Sequence& frames, bool softmax) {
  net.setInput(to_blob(frames));
  const cv::Mat out = net.forward();
  std::vector<float> scores(out.ptr<float>(), out.ptr<float>() + out.total());
  if (softmax && !scores.empty()) {
    const float top = *std::max_element(scores.begin(), scores.end());
    float sum = 0;
    for (float& s : scores) sum += (s = std::exp(s - top));
    for (float& s : scores) s /= sum;
  }
  return scores;
}

}  // namespace

std::shared_ptr<const ClassifierModel> ClassifierModel::load(const std::string& path) {
  std::shared_ptr<ClassifierModel> model(new ClassifierModel());
  model->path_ = path;
  model->bytes_ = read_file(path);
  OnnxInfo info;
  try {
    info = parse_onnx_info(model->bytes_);
  } catch (const OnnxParseError& error) {
    throw ModelError(path + ": " + error.what());
  }
  model->operators_ = info.operators;
  model->frames_ = check_input(info, path);
  if (model->frames_ == 0)
    model->frames_ = metadata_int(info, "sueo.frames", 0, path);
  else if (metadata_int(info, "sueo.frames", model->frames_, path) != model->frames_) {
    throw ModelError(
        path + ": metadata 'sueo.frames' disagrees with the input's T = " + std::to_string(model->frames_));
  }
  model->trim_margin_ = metadata_int(info, "sueo.trim_margin", 4, path);
  model->labels_ = find_labels(path, info);
  const auto output = info.metadata.find("sueo.output");
  model->softmax_ = output != info.metadata.end() && output->second == "logits";
  if (output != info.metadata.end() && output->second != "logits" && output->second != "probabilities") {
    throw ModelError(path + ": metadata 'sueo.output' must be 'probabilities' or 'logits', not '" +
                     output->second + "'");
  }
  // Warm-up: OpenCV allocates and fuses layers on the first forward; also proves the graph runs and
  // that it has one score per label.
  cv::dnn::Net net = model->make_net();
  const Sequence zeros(static_cast<size_t>(model->frames_ > 0 ? model->frames_ : kDynamicWarmupFrames),
                       Frame{});
  std::vector<float> scores;
  try {
    scores = run(net, zeros, false);
  } catch (const cv::Exception& error) {
    throw ModelError(path + ": OpenCV could not run the model on a [1, " + std::to_string(zeros.size()) +
                     ", 258] input: " + error.what());
  }
  if (scores.size() != model->labels_.size()) {
    throw ModelError(path + ": the model outputs " + std::to_string(scores.size()) + " scores but has " +
                     std::to_string(model->labels_.size()) + " labels");
  }
  return model;
}

cv::dnn::Net ClassifierModel::make_net() const {
  cv::dnn::Net net;
  try {
    net = cv::dnn::readNetFromONNX(bytes_.data(), bytes_.size());
  } catch (const cv::Exception& error) {
    std::string ops;
    for (const auto& op : operators_) ops += (ops.empty() ? "" : ", ") + op;
    throw ModelError(path_ + ": OpenCV 4.6 cannot import this ONNX graph (operators: " + ops +
                     "): " + error.what());
  }
  net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  return net;
}

Classifier::Classifier(std::shared_ptr<const ClassifierModel> model, size_t top_k)
    : model_(std::move(model)), net_(model_->make_net()), top_k_(top_k) {
  const Sequence zeros(static_cast<size_t>(model_->frames() > 0 ? model_->frames() : kDynamicWarmupFrames),
                       Frame{});
  run(net_, zeros, false);  // warm-up, so the first real call is not the slow one
}

std::vector<float> Classifier::scores(const Sequence& fitted) {
  return run(net_, fitted, model_->softmax_needed());
}

Classification Classifier::classify(const Sequence& frames) {
  if (frames.empty()) throw std::invalid_argument("classify: empty sequence");
  const auto start = std::chrono::steady_clock::now();
  const std::vector<float> s = scores(fit_to_model(frames, model_->frames(), model_->trim_margin()));
  std::vector<int> order(s.size());
  std::iota(order.begin(), order.end(), 0);
  const size_t k = std::min(top_k_, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<long>(k), order.end(),
                    [&](int a, int b) { return s[static_cast<size_t>(a)] > s[static_cast<size_t>(b)]; });
  Classification result;
  for (size_t i = 0; i < k; ++i) {
    const auto& label = model_->labels()[static_cast<size_t>(order[i])];
    result.top.push_back({label.word, label.gloss, s[static_cast<size_t>(order[i])], order[i]});
  }
  result.word = result.top.front().word;
  result.gloss = result.top.front().gloss;
  result.score = result.top.front().score;
  result.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace sueo::sign
