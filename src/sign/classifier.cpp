#include "sign/classifier.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>

#include "sign/aspect.h"
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

void softmax_in_place(std::vector<float>& scores) {
  if (scores.empty()) return;
  const float top = *std::max_element(scores.begin(), scores.end());
  float sum = 0;
  for (float& s : scores) sum += (s = std::exp(s - top));
  for (float& s : scores) s /= sum;
}

// Scaled to unit length (the contract asks the model to do it; doing it again costs D multiplies and
// lets a user's model that forgot still be compared by cosine). A zero vector stays zero.
void l2_normalise(std::vector<float>& v) {
  double sum = 0;
  for (float x : v) sum += static_cast<double>(x) * x;
  if (sum <= 0) return;
  const auto inv = static_cast<float>(1.0 / std::sqrt(sum));
  for (float& x : v) x *= inv;
}

std::vector<float> values(const cv::Mat& out) { return {out.ptr<float>(), out.ptr<float>() + out.total()}; }

// One forward pass. A one-output model is run as before (forward() = its only output); with an
// embedding, both outputs are asked for by name (OpenCV names a layer after its node's output).
ModelOutput run_net(cv::dnn::Net& net, const Sequence& frames, bool softmax, const std::string& scores_name,
                    const std::string& embedding_name) {
  net.setInput(to_blob(frames));
  ModelOutput out;
  if (embedding_name.empty()) {
    out.scores = values(net.forward());
  } else {
    std::vector<cv::Mat> outs;
    net.forward(outs, std::vector<cv::String>{scores_name, embedding_name});
    out.scores = values(outs.at(0));
    out.embedding = values(outs.at(1));
    l2_normalise(out.embedding);
  }
  if (softmax) softmax_in_place(out.scores);
  return out;
}

// Which output is which (docs/model.md §4): one output is the scores; with two, metadata
// `sueo.embedding` names the embedding (an output called "embedding" is taken without it).
void choose_outputs(const OnnxInfo& info, const std::string& path, std::string& scores, std::string& embedding) {
  const auto declared = info.metadata.find("sueo.embedding");
  if (info.outputs.empty()) throw ModelError(path + ": the graph has no outputs");
  if (info.outputs.size() > 2) {
    throw ModelError(path + ": the contract allows one output (scores) or two (scores and an embedding), the model has " +
                     std::to_string(info.outputs.size()));
  }
  if (info.outputs.size() == 1) {
    if (declared != info.metadata.end()) {
      throw ModelError(path + ": metadata 'sueo.embedding' names output '" + declared->second +
                       "' but the model has only one output ('" + info.outputs[0].name + "')");
    }
    scores = info.outputs[0].name;
    embedding.clear();
    return;
  }
  const std::string wanted = declared != info.metadata.end() ? declared->second : "embedding";
  const int which = info.outputs[0].name == wanted ? 0 : info.outputs[1].name == wanted ? 1 : -1;
  if (which < 0) {
    throw ModelError(path + ": the model has two outputs ('" + info.outputs[0].name + "', '" + info.outputs[1].name +
                     "') and none is the embedding '" + wanted +
                     "': name it in metadata 'sueo.embedding' (docs/model.md §4)");
  }
  embedding = info.outputs[static_cast<size_t>(which)].name;
  scores = info.outputs[static_cast<size_t>(1 - which)].name;
}

// metadata `sueo.prototypes`: a JSON array with one array of D numbers per label.
std::vector<std::vector<float>> parse_prototypes(const OnnxInfo& info, const std::string& path, size_t labels,
                                                 size_t dims) {
  const auto it = info.metadata.find("sueo.prototypes");
  if (it == info.metadata.end()) return {};
  const std::string where = path + ": metadata 'sueo.prototypes'";
  if (dims == 0) throw ModelError(where + " is set but the model has no embedding output");
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(it->second);
  } catch (const nlohmann::json::exception& error) {
    throw ModelError(where + " is not valid JSON: " + error.what());
  }
  if (!json.is_array() || json.size() != labels) {
    throw ModelError(where + " must be an array of one embedding per label (" + std::to_string(labels) + ")");
  }
  std::vector<std::vector<float>> out;
  for (const auto& row : json) {
    if (!row.is_array() || row.size() != dims) {
      throw ModelError(where + ": prototype " + std::to_string(out.size()) + " is not an array of " +
                       std::to_string(dims) + " numbers");
    }
    std::vector<float> v;
    for (const auto& x : row) {
      if (!x.is_number() || !std::isfinite(x.get<double>()))
        throw ModelError(where + ": prototype " + std::to_string(out.size()) + " holds a non-number");
      v.push_back(x.get<float>());
    }
    l2_normalise(v);
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace

std::shared_ptr<const ClassifierModel> ClassifierModel::load(const std::string& path) {
  static std::atomic<uint64_t> next_id{1};
  std::shared_ptr<ClassifierModel> model(new ClassifierModel());
  model->id_ = next_id.fetch_add(1);
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
  if (const auto aspect = info.metadata.find("sueo.frame_aspect"); aspect != info.metadata.end()) {
    try {
      model->frame_aspect_ = parse_frame_aspect(aspect->second);
    } catch (const std::invalid_argument& error) {
      throw ModelError(path + ": metadata 'sueo.frame_aspect': " + error.what());
    }
  }
  model->labels_ = find_labels(path, info);
  const auto output = info.metadata.find("sueo.output");
  model->softmax_ = output != info.metadata.end() && output->second == "logits";
  choose_outputs(info, path, model->scores_output_, model->embedding_output_);
  if (output != info.metadata.end() && output->second != "logits" && output->second != "probabilities") {
    throw ModelError(path + ": metadata 'sueo.output' must be 'probabilities' or 'logits', not '" +
                     output->second + "'");
  }
  // Warm-up: OpenCV allocates and fuses layers on the first forward; also proves the graph runs and
  // that it has one score per label.
  cv::dnn::Net net = model->make_net();
  const Sequence zeros(static_cast<size_t>(model->frames_ > 0 ? model->frames_ : kDynamicWarmupFrames),
                       Frame{});
  ModelOutput out;
  try {
    out = run_net(net, zeros, false, model->scores_output_, model->embedding_output_);
  } catch (const cv::Exception& error) {
    throw ModelError(path + ": OpenCV could not run the model on a [1, " + std::to_string(zeros.size()) +
                     ", 258] input: " + error.what());
  }
  if (out.scores.size() != model->labels_.size()) {
    throw ModelError(path + ": the model outputs " + std::to_string(out.scores.size()) + " scores but has " +
                     std::to_string(model->labels_.size()) + " labels");
  }
  if (!model->embedding_output_.empty() && out.embedding.size() < 2) {
    throw ModelError(path + ": the embedding output '" + model->embedding_output_ + "' has " +
                     std::to_string(out.embedding.size()) + " values; the contract wants [1, D], D >= 2");
  }
  model->embedding_size_ = static_cast<int>(out.embedding.size());
  model->prototypes_ = parse_prototypes(info, path, model->labels_.size(), out.embedding.size());
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
  run(zeros);  // warm-up, so the first real call is not the slow one
}

ModelOutput Classifier::run(const Sequence& fitted) {
  return run_net(net_, fitted, model_->softmax_needed(), model_->scores_output(), model_->embedding_output());
}

std::vector<float> Classifier::scores(const Sequence& fitted) { return run(fitted).scores; }

Classification Classifier::classify(const Sequence& frames) {
  if (frames.empty()) throw std::invalid_argument("classify: empty sequence");
  const auto start = std::chrono::steady_clock::now();
  ModelOutput out = run(fit_to_model(frames, model_->frames(), model_->trim_margin()));
  const std::vector<float>& s = out.scores;
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
  result.embedding = std::move(out.embedding);
  result.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace sueo::sign
