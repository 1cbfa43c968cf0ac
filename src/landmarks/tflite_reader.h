// A small reader of TensorFlow Lite model files (.tflite flatbuffers, schema "TFL3") for the float
// MediaPipe models. It turns the file into a Graph: float32 activations, constant weights already in
// float (fp16 widened, sparse tensors densified, DEQUANTIZE/DENSIFY folded away), operators that feed
// no kept output pruned. Engine internals: the XNNPACK builder and the tests' reference interpreter read
// it. Thread: a Graph is immutable after read_tflite() and may be read from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace sueo::landmarks::detail {

// The operators left after folding (the set the MediaPipe Holistic models use).
enum class OpKind {
  kConv2d,
  kDepthwiseConv2d,
  kAdd,
  kPrelu,
  kMaxPool2d,
  kPad,
  kResizeBilinear,
  kReshape,
  kConcatenation,
  kMean,
  kFullyConnected,
  kLogistic,
  kDepthToSpace,
  kStridedSlice,
  kClamp,  // RELU, RELU6, RELU_N1_TO_1 as separate operators (range in out_min/out_max)
};
const char* op_name(OpKind kind);

struct Tensor {
  std::string name;
  std::vector<int> shape;
  int type = 0;               // TFLite TensorType (0 = FLOAT32, 1 = FLOAT16, 2 = INT32)
  bool is_constant = false;   // values or ints hold the data
  std::vector<float> values;  // float constants, dense, row-major
  std::vector<int32_t> ints;  // int32 constants (paddings, shapes, axes, slice bounds)
  size_t elements() const;
};

struct Operator {
  OpKind kind{};
  int index = 0;            // position in the file's operator list, for error messages
  std::vector<int> inputs;  // tensor indices; -1 = absent optional input (e.g. no bias)
  std::vector<int> outputs;
  // Options (only those of `kind` are meaningful).
  bool same_padding = false;  // TF SAME padding (else VALID)
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  int filter_h = 1, filter_w = 1;  // pooling window
  int depth_multiplier = 1;
  // Fused activation as a clamp of the output.
  float out_min = -std::numeric_limits<float>::infinity();
  float out_max = std::numeric_limits<float>::infinity();
  bool align_corners = false;
  bool half_pixel_centers = false;
  int block_size = 1;
  int axis = 0;  // CONCATENATION, normalised to 0..rank-1
  bool keep_dims = false;
  int begin_mask = 0, end_mask = 0, shrink_axis_mask = 0;
};

struct Graph {
  std::vector<Tensor> tensors;
  std::vector<Operator> operators;  // execution order
  std::vector<int> inputs;          // tensor indices
  std::vector<int> outputs;         // tensor indices, in the kept order
};

// Parses a model file. Throws std::runtime_error "<path>: <problem>" for a file that is unreadable,
// not a TFL3 flatbuffer, truncated or corrupt, or uses an operator, type or option outside the set
// above. `keep_outputs`: output tensor names to keep (empty = all, in the model's order).
Graph read_tflite(const std::string& path, const std::vector<std::string>& keep_outputs);
// The same on bytes in memory; messages carry no path.
Graph parse_tflite(std::span<const uint8_t> bytes, const std::vector<std::string>& keep_outputs);

}  // namespace sueo::landmarks::detail
