// Int8 (QS8) landmark models: the activation ranges that quantise them, and how they are found.
//
// XNNPACK's int8 operators need a scale and zero point for every activation. They come from a
// calibration pass (`sueo calibrate`): the float model runs over real crops from the tune signers'
// clips and every activation tensor's range is recorded. The ranges are a small text file committed
// next to the model list (models/int8-ranges.txt), checked against its SHA-256 at load.
// Thread: ActivationRanges is a value; RangeRecorder is one thread's at a time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sueo::landmarks {

class Model;

struct ActivationRange {
  float min = 0, max = 0;
};
// Tensor name → range, for one model.
using ActivationRanges = std::map<std::string, ActivationRange>;

// Scale and zero point of an int8 tensor holding [min, max] (widened to include 0, as XNNPACK needs
// an exact zero for padding).
struct QuantParams {
  float scale = 1;
  int32_t zero_point = 0;
};
QuantParams quant_params(ActivationRange range);

namespace detail {
// Symmetric per-channel int8 weights: channel c scaled by max |w| / 127 (into `scales`), values in
// [-127, 127]. `channel_last`: the channel is the innermost dimension (depthwise filters), else the
// outermost. A channel of zeros gets `zero_channel_scale`.
std::vector<int8_t> quantize_weights(const std::vector<float>& w, size_t channels, bool channel_last,
                                     float zero_channel_scale, std::vector<float>& scales);
}  // namespace detail

// Runs the float model with every activation exposed and keeps each tensor's extremes per sample.
class RangeRecorder {
 public:
  explicit RangeRecorder(std::shared_ptr<const Model> model);
  ~RangeRecorder();
  RangeRecorder(const RangeRecorder&) = delete;
  RangeRecorder& operator=(const RangeRecorder&) = delete;

  // One sample: the model's single input, elements() floats.
  void add(const float* input);
  size_t samples() const;
  // Each tensor's range: the `q`-quantile of the per-sample minima and the (1 − q)-quantile of the
  // maxima (q = 0: the plain extremes over all samples).
  ActivationRanges ranges(double q = 0) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The ranges file: "# comment" lines, then "[model name]" sections of "tensor-name<TAB>min<TAB>max".
// Throws std::runtime_error naming the file and line for a malformed file.
std::map<std::string, ActivationRanges> read_ranges(const std::string& path);
std::string format_ranges(const std::map<std::string, ActivationRanges>& models, const std::string& header);

}  // namespace sueo::landmarks
