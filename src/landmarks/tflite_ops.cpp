// Decodes operator codes and builtin options (field positions: tflite_schema.h).
#include <stdexcept>

#include "landmarks/tflite_internal.h"
#include "landmarks/tflite_schema.h"

namespace sueo::landmarks::detail {
namespace {

using Table = FlatbufferAccess::Table;

class OptionReader {
 public:
  OptionReader(FlatbufferAccess& fb, const Table* options, Operator& op)
      : fb_(fb), options_(options), op_(op) {}

  template <class T>
  T get(int position, T default_value) {
    return options_ ? fb_.scalar<T>(options_, tfl::slot(position), default_value) : default_value;
  }
  void padding(int position) {
    const auto p = get<int8_t>(position, tfl::kSame);
    if (p != tfl::kSame && p != tfl::kValid) fail("padding " + std::to_string(p));
    op_.same_padding = p == tfl::kSame;
  }
  void strides(int w_position, int h_position) {
    op_.stride_w = get<int32_t>(w_position, 1);
    op_.stride_h = get<int32_t>(h_position, 1);
    if (op_.stride_w < 1 || op_.stride_h < 1) fail("stride");
  }
  void dilations(int w_position, int h_position) {
    op_.dilation_w = get<int32_t>(w_position, 1);
    op_.dilation_h = get<int32_t>(h_position, 1);
    if (op_.dilation_w < 1 || op_.dilation_h < 1) fail("dilation");
  }
  // Fused activations become a clamp of the output (how XNNPACK takes them).
  void activation(int position) {
    switch (get<int8_t>(position, tfl::kNone)) {
      case tfl::kNone:
        break;
      case tfl::kRelu:
        op_.out_min = 0.0f;
        break;
      case tfl::kReluN1To1:
        op_.out_min = -1.0f;
        op_.out_max = 1.0f;
        break;
      case tfl::kRelu6:
        op_.out_min = 0.0f;
        op_.out_max = 6.0f;
        break;
      default:
        fail("fused activation " + std::to_string(get<int8_t>(position, 0)));
    }
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error(std::string(op_name(op_.kind)) + " at operator " + std::to_string(op_.index) +
                             ": unsupported " + what);
  }

 private:
  FlatbufferAccess& fb_;
  const Table* options_;
  Operator& op_;
};

OpKind kind_of(int32_t code, const std::string& custom, int index) {
  switch (code) {
    case tfl::kConv2d:
      return OpKind::kConv2d;
    case tfl::kDepthwiseConv2d:
      return OpKind::kDepthwiseConv2d;
    case tfl::kAdd:
      return OpKind::kAdd;
    case tfl::kPrelu:
      return OpKind::kPrelu;
    case tfl::kMaxPool2d:
      return OpKind::kMaxPool2d;
    case tfl::kPad:
      return OpKind::kPad;
    case tfl::kResizeBilinear:
      return OpKind::kResizeBilinear;
    case tfl::kReshape:
      return OpKind::kReshape;
    case tfl::kConcatenation:
      return OpKind::kConcatenation;
    case tfl::kMean:
      return OpKind::kMean;
    case tfl::kFullyConnected:
      return OpKind::kFullyConnected;
    case tfl::kLogistic:
      return OpKind::kLogistic;
    case tfl::kDepthToSpace:
      return OpKind::kDepthToSpace;
    case tfl::kStridedSlice:
      return OpKind::kStridedSlice;
    case tfl::kReluOp:
    case tfl::kReluN1To1Op:
    case tfl::kRelu6Op:
      return OpKind::kClamp;
    default:
      break;
  }
  std::string name = code == tfl::kCustom ? "CUSTOM:" + custom : tfl::builtin_name(code);
  if (name == "?") name = "builtin " + std::to_string(code);
  if (code == tfl::kDequantize || code == tfl::kDensify) name += " of a non-constant tensor";
  throw std::runtime_error("unknown op \"" + name + "\" at operator " + std::to_string(index));
}

}  // namespace

const char* op_name(OpKind kind) {
  switch (kind) {
    case OpKind::kConv2d:
      return "CONV_2D";
    case OpKind::kDepthwiseConv2d:
      return "DEPTHWISE_CONV_2D";
    case OpKind::kAdd:
      return "ADD";
    case OpKind::kPrelu:
      return "PRELU";
    case OpKind::kMaxPool2d:
      return "MAX_POOL_2D";
    case OpKind::kPad:
      return "PAD";
    case OpKind::kResizeBilinear:
      return "RESIZE_BILINEAR";
    case OpKind::kReshape:
      return "RESHAPE";
    case OpKind::kConcatenation:
      return "CONCATENATION";
    case OpKind::kMean:
      return "MEAN";
    case OpKind::kFullyConnected:
      return "FULLY_CONNECTED";
    case OpKind::kLogistic:
      return "LOGISTIC";
    case OpKind::kDepthToSpace:
      return "DEPTH_TO_SPACE";
    case OpKind::kStridedSlice:
      return "STRIDED_SLICE";
    case OpKind::kClamp:
      return "RELU";
  }
  return "?";
}

Operator map_operator(FlatbufferAccess& fb, int32_t code, const std::string& custom, const Table* options,
                      int index) {
  Operator op;
  op.kind = kind_of(code, custom, index);
  op.index = index;
  OptionReader o(fb, options, op);
  switch (op.kind) {
    case OpKind::kConv2d:  // Conv2DOptions
      o.padding(0);
      o.strides(1, 2);
      o.activation(3);
      o.dilations(4, 5);
      break;
    case OpKind::kDepthwiseConv2d:  // DepthwiseConv2DOptions
      o.padding(0);
      o.strides(1, 2);
      op.depth_multiplier = o.get<int32_t>(3, 1);
      o.activation(4);
      o.dilations(5, 6);
      break;
    case OpKind::kMaxPool2d:  // Pool2DOptions
      o.padding(0);
      o.strides(1, 2);
      op.filter_w = o.get<int32_t>(3, 1);
      op.filter_h = o.get<int32_t>(4, 1);
      o.activation(5);
      break;
    case OpKind::kAdd:  // AddOptions
      o.activation(0);
      break;
    case OpKind::kFullyConnected:  // FullyConnectedOptions
      o.activation(0);
      if (o.get<int8_t>(1, 0) != 0) o.fail("weights format");
      if (o.get<uint8_t>(2, 0) != 0) o.fail("keep_num_dims");
      break;
    case OpKind::kConcatenation:  // ConcatenationOptions
      op.axis = o.get<int32_t>(0, 0);
      o.activation(1);
      break;
    case OpKind::kResizeBilinear:  // ResizeBilinearOptions
      op.align_corners = o.get<uint8_t>(2, 0) != 0;
      op.half_pixel_centers = o.get<uint8_t>(3, 0) != 0;
      if (op.align_corners && op.half_pixel_centers) o.fail("align_corners with half_pixel_centers");
      break;
    case OpKind::kMean:  // ReducerOptions
      op.keep_dims = o.get<uint8_t>(0, 0) != 0;
      break;
    case OpKind::kDepthToSpace:  // DepthToSpaceOptions
      op.block_size = o.get<int32_t>(0, 0);
      if (op.block_size < 1) o.fail("block size");
      break;
    case OpKind::kStridedSlice:  // StridedSliceOptions
      op.begin_mask = o.get<int32_t>(0, 0);
      op.end_mask = o.get<int32_t>(1, 0);
      if (o.get<int32_t>(2, 0) != 0) o.fail("ellipsis_mask");
      if (o.get<int32_t>(3, 0) != 0) o.fail("new_axis_mask");
      op.shrink_axis_mask = o.get<int32_t>(4, 0);
      if (o.get<uint8_t>(5, 0) != 0) o.fail("offset");
      break;
    case OpKind::kClamp:
      op.out_min = code == tfl::kReluN1To1Op ? -1.0f : 0.0f;
      if (code != tfl::kReluOp) op.out_max = code == tfl::kRelu6Op ? 6.0f : 1.0f;
      break;
    case OpKind::kPrelu:
    case OpKind::kPad:
    case OpKind::kReshape:
    case OpKind::kLogistic:
      break;
  }
  return op;
}

}  // namespace sueo::landmarks::detail
