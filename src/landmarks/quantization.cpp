#include "landmarks/quantization.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "landmarks/model.h"
#include "landmarks/xnn_builder.h"

namespace sueo::landmarks {

QuantParams quant_params(ActivationRange range) {
  const float lo = std::min(range.min, 0.0f);
  float hi = std::max(range.max, 0.0f);
  if (hi - lo < 1e-6f) hi = lo + 1e-6f;  // a constant-zero tensor still needs a positive scale
  QuantParams p;
  p.scale = (hi - lo) / 255.0f;
  p.zero_point = std::clamp(static_cast<int32_t>(std::lrint(-128.0f - lo / p.scale)), -128, 127);
  return p;
}

namespace detail {

std::vector<int8_t> quantize_weights(const std::vector<float>& w, size_t channels, bool channel_last,
                                     float zero_channel_scale, std::vector<float>& scales) {
  if (channels == 0 || w.size() % channels != 0) throw std::runtime_error("weights do not split into channels");
  const size_t per_channel = w.size() / channels;
  auto channel_of = [&](size_t i) { return channel_last ? i % channels : i / per_channel; };
  std::vector<float> max_abs(channels, 0.0f);
  for (size_t i = 0; i < w.size(); ++i) max_abs[channel_of(i)] = std::max(max_abs[channel_of(i)], std::fabs(w[i]));
  scales.resize(channels);
  for (size_t c = 0; c < channels; ++c) scales[c] = max_abs[c] > 0 ? max_abs[c] / 127.0f : zero_channel_scale;
  std::vector<int8_t> q(w.size());
  for (size_t i = 0; i < w.size(); ++i) {
    const long v = std::lrint(w[i] / scales[channel_of(i)]);
    q[i] = static_cast<int8_t>(std::clamp(v, -127L, 127L));
  }
  return q;
}

}  // namespace detail

namespace {

struct RuntimeDeleter {
  void operator()(xnn_runtime_t r) const { xnn_delete_runtime(r); }
};

}  // namespace

struct RangeRecorder::Impl {
  std::shared_ptr<const Model> model;
  detail::OwnedData owned;
  std::unique_ptr<xnn_runtime, RuntimeDeleter> runtime;
  std::vector<int> tensors;                 // recorded tensors: input, outputs, then every activation
  std::vector<std::vector<float>> buffers;  // one per tensor, in that order
  std::vector<std::vector<float>> minima, maxima;  // per tensor, per sample
};

RangeRecorder::RangeRecorder(std::shared_ptr<const Model> model) : impl_(std::make_unique<Impl>()) {
  auto& m = *impl_;
  m.model = std::move(model);
  const auto& g = m.model->graph();
  if (g.inputs.size() != 1) throw std::runtime_error(m.model->path() + ": calibration needs a single input");
  std::vector<int> exposed;
  detail::BuildOptions options;
  options.expose_all = true;
  options.exposed = &exposed;
  auto subgraph = detail::build_subgraph(g, m.owned, options);
  xnn_runtime_t runtime = nullptr;
  if (xnn_create_runtime_v2(subgraph.get(), nullptr, 0, &runtime) != xnn_status_success)
    throw std::runtime_error(m.model->path() + ": xnn_create_runtime_v2 failed (calibration)");
  m.runtime.reset(runtime);
  m.tensors = g.inputs;
  m.tensors.insert(m.tensors.end(), g.outputs.begin(), g.outputs.end());
  m.tensors.insert(m.tensors.end(), exposed.begin(), exposed.end());
  std::vector<xnn_external_value> externals;
  for (size_t k = 0; k < m.tensors.size(); ++k) {
    const auto& t = g.tensors[static_cast<size_t>(m.tensors[k])];
    m.buffers.emplace_back(t.elements() + XNN_EXTRA_BYTES / sizeof(float), 0.0f);
    externals.push_back({static_cast<uint32_t>(k), m.buffers.back().data()});
  }
  if (xnn_setup_runtime(runtime, externals.size(), externals.data()) != xnn_status_success)
    throw std::runtime_error(m.model->path() + ": xnn_setup_runtime failed (calibration)");
  m.minima.resize(m.tensors.size());
  m.maxima.resize(m.tensors.size());
}

RangeRecorder::~RangeRecorder() = default;

void RangeRecorder::add(const float* input) {
  auto& m = *impl_;
  const auto& g = m.model->graph();
  std::copy_n(input, g.tensors[static_cast<size_t>(g.inputs[0])].elements(), m.buffers[0].data());
  if (xnn_invoke_runtime(m.runtime.get()) != xnn_status_success)
    throw std::runtime_error(m.model->path() + ": xnn_invoke_runtime failed (calibration)");
  for (size_t k = 0; k < m.tensors.size(); ++k) {
    const size_t n = g.tensors[static_cast<size_t>(m.tensors[k])].elements();
    const auto [lo, hi] = std::minmax_element(m.buffers[k].begin(), m.buffers[k].begin() + static_cast<long>(n));
    m.minima[k].push_back(*lo);
    m.maxima[k].push_back(*hi);
  }
}

size_t RangeRecorder::samples() const { return impl_->minima.empty() ? 0 : impl_->minima[0].size(); }

ActivationRanges RangeRecorder::ranges(double q) const {
  const auto& m = *impl_;
  if (samples() == 0) throw std::runtime_error("no calibration samples");
  auto pick = [](std::vector<float> v, double at) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(at * static_cast<double>(v.size() - 1) + 0.5))];
  };
  ActivationRanges out;
  const auto& g = m.model->graph();
  for (size_t k = 0; k < m.tensors.size(); ++k)
    out[g.tensors[static_cast<size_t>(m.tensors[k])].name] = {pick(m.minima[k], q), pick(m.maxima[k], 1 - q)};
  return out;
}

std::map<std::string, ActivationRanges> read_ranges(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open");
  std::map<std::string, ActivationRanges> models;
  ActivationRanges* current = nullptr;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    auto bad = [&](const std::string& what) {
      return std::runtime_error(path + ":" + std::to_string(number) + ": " + what);
    };
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      if (line.back() != ']') throw bad("unterminated section");
      current = &models[line.substr(1, line.size() - 2)];
      continue;
    }
    if (!current) throw bad("range before any [model] section");
    const auto tab1 = line.find('\t'), tab2 = line.find('\t', tab1 + 1);
    if (tab1 == std::string::npos || tab2 == std::string::npos) throw bad("expected name<TAB>min<TAB>max");
    ActivationRange r;
    try {
      r.min = std::stof(line.substr(tab1 + 1, tab2 - tab1 - 1));
      r.max = std::stof(line.substr(tab2 + 1));
    } catch (const std::exception&) {
      throw bad("not a number");
    }
    if (!std::isfinite(r.min) || !std::isfinite(r.max) || r.min > r.max) throw bad("bad range");
    (*current)[line.substr(0, tab1)] = r;
  }
  return models;
}

std::string format_ranges(const std::map<std::string, ActivationRanges>& models, const std::string& header) {
  std::ostringstream out;
  std::istringstream lines(header);
  for (std::string l; std::getline(lines, l);) out << "# " << l << "\n";
  out.precision(9);
  for (const auto& [model, ranges] : models) {
    out << "[" << model << "]\n";
    for (const auto& [name, r] : ranges) out << name << "\t" << r.min << "\t" << r.max << "\n";
  }
  return out.str();
}

}  // namespace sueo::landmarks
