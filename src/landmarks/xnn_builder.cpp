// One XNNPACK node (or a few) per operator. TFLite's filter layouts are XNNPACK's: CONV_2D [O,KH,KW,I],
// DEPTHWISE_CONV_2D [1,KH,KW,C*M], FULLY_CONNECTED [O,I]; TF SAME padding is a flag; fused activations
// are the output clamp. The 2022 API has no Concatenate and no Slice node: CONCATENATION becomes
// zero-pads + adds (exact: every output element is one input plus zeros), and the channel
// STRIDED_SLICE of hand_recrop a 1x1 convolution with a 0/1 selection kernel (also exact).
#include "landmarks/xnn_builder.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>

namespace sueo::landmarks::detail {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

class Builder {
 public:
  Builder(const Graph& g, OwnedData& owned, const BuildOptions& options)
      : g_(g),
        owned_(owned),
        ranges_(options.int8),
        ids_(g.tensors.size(), XNN_INVALID_VALUE_ID),
        qids_(g.tensors.size(), XNN_INVALID_VALUE_ID),
        qparams_(g.tensors.size()) {
    std::vector<int> exposed;
    if (options.expose_all) exposed = activations();
    const auto externals = static_cast<uint32_t>(g.inputs.size() + g.outputs.size() + exposed.size());
    xnn_subgraph_t s = nullptr;
    if (xnn_create_subgraph(externals, 0, &s) != xnn_status_success)
      throw std::runtime_error("xnn_create_subgraph failed");
    subgraph_.reset(s);
    for (size_t i = 0; i < g.inputs.size(); ++i)
      define(g.inputs[i], static_cast<uint32_t>(i), XNN_VALUE_FLAG_EXTERNAL_INPUT);
    for (size_t j = 0; j < g.outputs.size(); ++j)
      define(g.outputs[j], static_cast<uint32_t>(g.inputs.size() + j), XNN_VALUE_FLAG_EXTERNAL_OUTPUT);
    for (size_t k = 0; k < exposed.size(); ++k)
      define(exposed[k], static_cast<uint32_t>(g.inputs.size() + g.outputs.size() + k),
             XNN_VALUE_FLAG_EXTERNAL_OUTPUT);
    if (options.exposed) *options.exposed = std::move(exposed);
  }

  XnnSubgraph build() {
    for (const auto& op : g_.operators) {
      op_ = &op;
      if (!ranges_ || !add_quantized(op)) add_operator(op);
    }
    return std::move(subgraph_);
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error(std::string(op_name(op_->kind)) + " at operator " + std::to_string(op_->index) +
                             ": " + what);
  }
  void check(xnn_status status, const char* call) const {
    if (status != xnn_status_success)
      fail(std::string(call) + " failed (xnn_status " + std::to_string(status) + ")");
  }
  const Tensor& tensor(int t) const { return g_.tensors[static_cast<size_t>(t)]; }
  const Tensor& in(size_t i) const {
    if (i >= op_->inputs.size() || op_->inputs[i] < 0) fail("missing input " + std::to_string(i));
    return tensor(op_->inputs[i]);
  }
  const Tensor& constant(size_t i) const {
    const Tensor& t = in(i);
    if (!t.is_constant) fail("input \"" + t.name + "\" must be a constant");
    return t;
  }
  static std::vector<size_t> dims(const std::vector<int>& shape) { return {shape.begin(), shape.end()}; }

  uint32_t define_value(const std::vector<size_t>& d, const float* data, uint32_t external, uint32_t flags) {
    uint32_t id = XNN_INVALID_VALUE_ID;
    if (xnn_define_tensor_value(subgraph_.get(), xnn_datatype_fp32, d.size(), d.data(), data, external, flags,
                                &id) != xnn_status_success)
      throw std::runtime_error("xnn_define_tensor_value failed");
    return id;
  }
  void define(int t, uint32_t external, uint32_t flags) {
    const Tensor& x = tensor(t);
    ids_[static_cast<size_t>(t)] =
        define_value(dims(x.shape), x.is_constant ? x.values.data() : nullptr, external, flags);
  }
  // The value of tensor t, defined on first use (constants point at the Graph's data).
  uint32_t id(int t) {
    if (t < 0) return XNN_INVALID_VALUE_ID;
    const Tensor& x = tensor(t);
    if (x.is_constant && x.values.empty()) fail("constant \"" + x.name + "\" is not float");
    const auto i = static_cast<size_t>(t);
    if (ids_[i] == XNN_INVALID_VALUE_ID && qids_[i] != XNN_INVALID_VALUE_ID) {
      ids_[i] = temp(dims(x.shape));
      check(xnn_define_convert(subgraph_.get(), qids_[i], ids_[i], 0), "convert (int8 to float)");
    }
    if (ids_[i] == XNN_INVALID_VALUE_ID) define(t, XNN_INVALID_VALUE_ID, 0);
    return ids_[i];
  }
  uint32_t input_id(size_t i) { return i < op_->inputs.size() ? id(op_->inputs[i]) : XNN_INVALID_VALUE_ID; }
  uint32_t output_id() { return id(op_->outputs.at(0)); }
  const Tensor& out() const { return tensor(op_->outputs.at(0)); }
  uint32_t temp(const std::vector<size_t>& d) { return define_value(d, nullptr, XNN_INVALID_VALUE_ID, 0); }
  uint32_t owned_constant(std::vector<float> values, const std::vector<size_t>& d) {
    owned_.floats.push_back(std::move(values));
    return define_value(d, owned_.floats.back().data(), XNN_INVALID_VALUE_ID, 0);
  }
  // Every tensor an operator writes that is not a graph output, in execution order.
  std::vector<int> activations() const {
    std::vector<bool> seen(g_.tensors.size(), false);
    for (int t : g_.inputs) seen[static_cast<size_t>(t)] = true;
    for (int t : g_.outputs) seen[static_cast<size_t>(t)] = true;
    std::vector<int> list;
    for (const auto& op : g_.operators)
      for (int t : op.outputs)
        if (t >= 0 && !seen[static_cast<size_t>(t)]) {
          seen[static_cast<size_t>(t)] = true;
          list.push_back(t);
        }
    return list;
  }
  uint32_t padding_flags() const { return op_->same_padding ? XNN_FLAG_TENSORFLOW_SAME_PADDING : 0; }
  void need_rank(const Tensor& t, size_t rank) const {
    if (t.shape.size() != rank) fail("\"" + t.name + "\" must have rank " + std::to_string(rank));
  }

  void add_operator(const Operator& op) {
    switch (op.kind) {
      case OpKind::kConv2d:
        return conv2d(input_id(0), input_id(1), input_id(2), output_id());
      case OpKind::kDepthwiseConv2d:
        return depthwise_conv2d(input_id(0), input_id(1), input_id(2), output_id());
      case OpKind::kAdd:
        return check(xnn_define_add2(subgraph_.get(), op.out_min, op.out_max, input_id(0), input_id(1),
                                     output_id(), 0),
                     "add2");
      case OpKind::kPrelu:
        return prelu();
      case OpKind::kMaxPool2d:
      case OpKind::kPad:
      case OpKind::kResizeBilinear:
      case OpKind::kReshape:
      case OpKind::kClamp:
      case OpKind::kMean:
        return unary(input_id(0), output_id());
      case OpKind::kConcatenation:
        return concatenation();
      case OpKind::kFullyConnected:
        return fully_connected();
      case OpKind::kLogistic:
        return check(xnn_define_sigmoid(subgraph_.get(), input_id(0), output_id(), 0), "sigmoid");
      case OpKind::kDepthToSpace:
        return check(xnn_define_depth_to_space(subgraph_.get(), input_id(0), output_id(),
                                               static_cast<uint32_t>(op.block_size), 0),
                     "depth_to_space");
      case OpKind::kStridedSlice:
        return channel_slice();
    }
  }

  // The operators that run alike on float and int8 values (XNNPACK picks the kernel by the values'
  // type): one input, one output.
  void unary(uint32_t input, uint32_t output) {
    const Operator& op = *op_;
    switch (op.kind) {
      case OpKind::kMaxPool2d:
        need_rank(in(0), 4);
        return check(xnn_define_max_pooling_2d(subgraph_.get(), 0, 0, 0, 0, op.filter_h, op.filter_w,
                                               op.stride_h, op.stride_w, 1, 1, op.out_min, op.out_max, input,
                                               output, padding_flags()),
                     "max_pooling_2d");
      case OpKind::kPad:
        return pad(input, output);
      case OpKind::kResizeBilinear:
        return resize_bilinear(input, output);
      case OpKind::kReshape: {
        const auto d = dims(out().shape);
        return check(xnn_define_static_reshape(subgraph_.get(), d.size(), d.data(), input, output, 0),
                     "static_reshape");
      }
      case OpKind::kClamp:
        return check(xnn_define_clamp(subgraph_.get(), op.out_min, op.out_max, input, output, 0), "clamp");
      case OpKind::kMean:
        return mean(input, output);
      default:
        fail("not a unary operator");
    }
  }

  void conv2d(uint32_t input, uint32_t filter, uint32_t bias, uint32_t output) {
    const Tensor& x = in(0);
    const Tensor& w = constant(1);
    need_rank(x, 4);
    need_rank(w, 4);
    if (w.shape[3] != x.shape[3]) fail("grouped convolutions are not supported");
    if (op_->inputs.size() > 2 && op_->inputs[2] >= 0) constant(2);
    check(xnn_define_convolution_2d(subgraph_.get(), 0, 0, 0, 0, w.shape[1], w.shape[2], op_->stride_h,
                                    op_->stride_w, op_->dilation_h, op_->dilation_w, 1, w.shape[3],
                                    w.shape[0], op_->out_min, op_->out_max, input, filter, bias, output,
                                    padding_flags()),
          "convolution_2d");
  }

  void depthwise_conv2d(uint32_t input, uint32_t filter, uint32_t bias, uint32_t output) {
    const Tensor& x = in(0);
    const Tensor& w = constant(1);
    need_rank(x, 4);
    need_rank(w, 4);
    const int channels = x.shape[3];
    if (w.shape[0] != 1 || w.shape[3] % channels != 0) fail("unexpected filter shape");
    if (op_->inputs.size() > 2 && op_->inputs[2] >= 0) constant(2);
    check(xnn_define_depthwise_convolution_2d(
              subgraph_.get(), 0, 0, 0, 0, w.shape[1], w.shape[2], op_->stride_h, op_->stride_w,
              op_->dilation_h, op_->dilation_w, w.shape[3] / channels, channels, op_->out_min, op_->out_max,
              input, filter, bias, output, padding_flags()),
          "depthwise_convolution_2d");
  }

  void prelu() {
    // XNNPACK takes one slope per channel; TFLite stores it as [1,1,C] (shared over H and W).
    const Tensor& slope = constant(1);
    const auto channels = static_cast<size_t>(in(0).shape.back());
    if (slope.values.size() != channels) fail("only per-channel slopes are supported");
    const uint32_t slope_id = define_value({channels}, slope.values.data(), XNN_INVALID_VALUE_ID, 0);
    check(xnn_define_prelu(subgraph_.get(), input_id(0), slope_id, output_id(), 0), "prelu");
  }

  void pad(uint32_t input, uint32_t output) {
    const Tensor& x = in(0);
    const Tensor& p = constant(1);
    if (p.ints.size() != 2 * x.shape.size()) fail("paddings must be int32 [rank, 2]");
    std::vector<size_t> pre, post;
    for (size_t d = 0; d < x.shape.size(); ++d) {
      if (p.ints[2 * d] < 0 || p.ints[2 * d + 1] < 0) fail("negative padding");
      pre.push_back(static_cast<size_t>(p.ints[2 * d]));
      post.push_back(static_cast<size_t>(p.ints[2 * d + 1]));
    }
    check(xnn_define_static_constant_pad(subgraph_.get(), pre.data(), post.data(), 0.0f, input, output, 0),
          "static_constant_pad");
  }

  void resize_bilinear(uint32_t input, uint32_t output) {
    need_rank(out(), 4);
    // XNNPACK's default is half-pixel centres; TF's legacy mode (neither flag) is a flag.
    uint32_t flags = 0;
    if (op_->align_corners)
      flags = XNN_FLAG_ALIGN_CORNERS;
    else if (!op_->half_pixel_centers)
      flags = XNN_FLAG_TENSORFLOW_LEGACY_MODE;
    check(xnn_define_static_resize_bilinear_2d(subgraph_.get(), out().shape[1], out().shape[2], input, output,
                                               flags),
          "static_resize_bilinear_2d");
  }

  void concatenation() {
    const Tensor& y = out();
    const auto rank = y.shape.size();
    int axis = op_->axis < 0 ? op_->axis + static_cast<int>(rank) : op_->axis;
    if (axis < 0 || axis >= static_cast<int>(rank)) fail("bad axis");
    const auto a = static_cast<size_t>(axis);
    const auto inputs = op_->inputs.size();
    if (inputs == 1) {
      const auto d = dims(y.shape);
      return check(
          xnn_define_static_reshape(subgraph_.get(), d.size(), d.data(), input_id(0), output_id(), 0),
          "static_reshape");
    }
    // Each input zero-padded to the output's extent at its offset along the axis, then summed.
    uint32_t sum = XNN_INVALID_VALUE_ID;
    size_t offset = 0;
    for (size_t i = 0; i < inputs; ++i) {
      const Tensor& x = in(i);
      if (x.shape.size() != rank) fail("inputs of different ranks");
      std::vector<size_t> pre(rank, 0), post(rank, 0);
      pre[a] = offset;
      offset += static_cast<size_t>(x.shape[a]);
      if (offset > static_cast<size_t>(y.shape[a])) fail("inputs exceed the output");
      post[a] = static_cast<size_t>(y.shape[a]) - offset;
      const uint32_t padded = temp(dims(y.shape));
      check(xnn_define_static_constant_pad(subgraph_.get(), pre.data(), post.data(), 0.0f, input_id(i),
                                           padded, 0),
            "static_constant_pad");
      if (sum == XNN_INVALID_VALUE_ID) {
        sum = padded;
        continue;
      }
      const bool last = i + 1 == inputs;
      const uint32_t next = last ? output_id() : temp(dims(y.shape));
      check(xnn_define_add2(subgraph_.get(), last ? op_->out_min : -kInf, last ? op_->out_max : kInf, sum,
                            padded, next, 0),
            "add2");
      sum = next;
    }
    if (offset != static_cast<size_t>(y.shape[a])) fail("inputs do not fill the output");
  }

  void mean(uint32_t input, uint32_t output) {
    const Tensor& x = in(0);
    const Tensor& axes = constant(1);
    need_rank(x, 4);
    std::vector<int> a = axes.ints;
    for (int& v : a) v = v < 0 ? v + 4 : v;
    std::sort(a.begin(), a.end());
    if (a != std::vector<int>{1, 2}) fail("only the spatial mean (axes 1, 2) is supported");
    check(xnn_define_global_average_pooling_2d(subgraph_.get(), -kInf, kInf, input, output, 0),
          "global_average_pooling_2d");
  }

  void fully_connected() {
    const Tensor& x = in(0);
    const Tensor& w = constant(1);
    need_rank(w, 2);
    if (op_->inputs.size() > 2 && op_->inputs[2] >= 0) constant(2);
    if (x.elements() != static_cast<size_t>(w.shape[1])) fail("only batch 1 is supported");
    const uint32_t flags = x.shape.size() != 2 ? XNN_FLAG_TENSORFLOW_RESHAPE_2D : 0;
    check(xnn_define_fully_connected(subgraph_.get(), op_->out_min, op_->out_max, input_id(0), input_id(1),
                                     input_id(2), output_id(), flags),
          "fully_connected");
  }

  // STRIDED_SLICE over the channels of an NHWC tensor (other axes whole): a 1x1 convolution whose kernel
  // picks one input channel per output channel.
  void channel_slice() {
    const Tensor& x = in(0);
    const Tensor& begin = constant(1);
    const Tensor& end = constant(2);
    const Tensor& strides = constant(3);
    need_rank(x, 4);
    if (op_->shrink_axis_mask != 0) fail("shrink_axis_mask is not supported");
    if (begin.ints.size() != 4 || end.ints.size() != 4 || strides.ints.size() != 4)
      fail("begin/end/strides must be int32 [4]");
    std::vector<int> first(4), step(4), count(4);
    for (int d = 0; d < 4; ++d) {
      const int n = x.shape[static_cast<size_t>(d)];
      const int s = strides.ints[static_cast<size_t>(d)];
      if (s <= 0) fail("only positive strides are supported");
      int b = (op_->begin_mask >> d & 1) ? 0 : begin.ints[static_cast<size_t>(d)];
      int e = (op_->end_mask >> d & 1) ? n : end.ints[static_cast<size_t>(d)];
      b = std::clamp(b < 0 ? b + n : b, 0, n);
      e = std::clamp(e < 0 ? e + n : e, 0, n);
      first[static_cast<size_t>(d)] = b;
      step[static_cast<size_t>(d)] = s;
      count[static_cast<size_t>(d)] = e > b ? (e - b + s - 1) / s : 0;
      if (d < 3 && (b != 0 || count[static_cast<size_t>(d)] != n))
        fail("only slices along the channel axis are supported");
    }
    const int in_c = x.shape[3], out_c = count[3];
    if (out_c != out().shape[3]) fail("output shape disagrees with begin/end/strides");
    std::vector<float> kernel(static_cast<size_t>(out_c * in_c), 0.0f);
    for (int o = 0; o < out_c; ++o) kernel[static_cast<size_t>(o * in_c + first[3] + o * step[3])] = 1.0f;
    const uint32_t kernel_id =
        owned_constant(std::move(kernel), {static_cast<size_t>(out_c), 1, 1, static_cast<size_t>(in_c)});
    check(xnn_define_convolution_2d(subgraph_.get(), 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, in_c, out_c, -kInf,
                                    kInf, input_id(0), kernel_id, XNN_INVALID_VALUE_ID, output_id(), 0),
          "convolution_2d (slice)");
  }

  // ---- The int8 variant ----

  QuantParams params_for(int t) const {
    const Tensor& x = tensor(t);
    const auto it = ranges_->find(x.name);
    if (it == ranges_->end()) fail("no int8 range for \"" + x.name + "\"");
    return quant_params(it->second);
  }
  bool has_int8(int t) const { return t >= 0 && qids_[static_cast<size_t>(t)] != XNN_INVALID_VALUE_ID; }
  uint32_t define_int8(const std::vector<size_t>& d, QuantParams p) {
    uint32_t id = XNN_INVALID_VALUE_ID;
    check(xnn_define_quantized_tensor_value(subgraph_.get(), xnn_datatype_qint8, p.zero_point, p.scale, d.size(),
                                            d.data(), nullptr, XNN_INVALID_VALUE_ID, 0, &id),
          "quantized_tensor_value");
    return id;
  }
  // The int8 value of tensor t; a float one is converted on first use.
  uint32_t int8_id(int t) {
    const auto i = static_cast<size_t>(t);
    if (qids_[i] == XNN_INVALID_VALUE_ID) {
      const uint32_t f = id(t);
      qparams_[i] = params_for(t);
      qids_[i] = define_int8(dims(tensor(t).shape), qparams_[i]);
      check(xnn_define_convert(subgraph_.get(), f, qids_[i], 0), "convert (float to int8)");
    }
    return qids_[i];
  }
  uint32_t int8_output(QuantParams p) {
    const auto t = static_cast<size_t>(op_->outputs.at(0));
    qparams_[t] = p;
    qids_[t] = define_int8(dims(out().shape), p);
    return qids_[t];
  }
  // A graph output computed in int8 is converted into its external float value.
  void finish_int8_output() {
    const auto t = static_cast<size_t>(op_->outputs.at(0));
    if (ids_[t] != XNN_INVALID_VALUE_ID)
      check(xnn_define_convert(subgraph_.get(), qids_[t], ids_[t], 0), "convert (int8 to float)");
  }

  // Defines `op` on int8 values if it has an int8 path; false leaves it to add_operator (float).
  // Convolutions and adds always go int8; operators that only move or pick values do when their input
  // already is int8 (same scale in and out, as XNNPACK requires), and stay float otherwise.
  bool add_quantized(const Operator& op) {
    const int x = op.inputs.empty() ? -1 : op.inputs[0];
    switch (op.kind) {
      case OpKind::kConv2d:
      case OpKind::kDepthwiseConv2d:
        quantized_convolution(op.kind == OpKind::kDepthwiseConv2d);
        break;
      case OpKind::kAdd: {
        const uint32_t a = int8_id(op.inputs.at(0)), b = int8_id(op.inputs.at(1));
        check(xnn_define_add2(subgraph_.get(), op.out_min, op.out_max, a, b,
                              int8_output(params_for(op.outputs.at(0))), 0),
              "add2 (int8)");
        break;
      }
      case OpKind::kMean:
        if (!has_int8(x)) return false;
        unary(int8_id(x), int8_output(params_for(op.outputs.at(0))));
        break;
      case OpKind::kMaxPool2d:
      case OpKind::kPad:
      case OpKind::kResizeBilinear:
      case OpKind::kReshape:
      case OpKind::kClamp:
        if (!has_int8(x)) return false;
        unary(int8_id(x), int8_output(qparams_[static_cast<size_t>(x)]));
        break;
      default:
        return false;
    }
    finish_int8_output();
    return true;
  }

  // Per-output-channel int8 weights (qcint8), an int32 bias at input scale × weight scale (qcint32).
  void quantized_convolution(bool depthwise) {
    const Tensor& w = constant(1);
    need_rank(w, 4);
    const int x = op_->inputs.at(0);
    const uint32_t input = int8_id(x);
    const QuantParams in_p = qparams_[static_cast<size_t>(x)];
    const QuantParams out_p = params_for(op_->outputs.at(0));
    // TFLite's filters: CONV_2D [O,KH,KW,I] (channel first), DEPTHWISE [1,KH,KW,C*M] (channel last).
    const auto channels = static_cast<size_t>(depthwise ? w.shape[3] : w.shape[0]);
    const size_t channel_dim = depthwise ? 3 : 0;
    std::vector<float> scales;
    // A channel of zeros gets the scale that maps it 1:1 onto the output (XNNPACK bounds the ratio).
    owned_.int8s.push_back(quantize_weights(w.values, channels, depthwise, out_p.scale / in_p.scale, scales));
    owned_.floats.push_back(std::move(scales));
    const auto& w_scales = owned_.floats.back();
    const auto d = dims(w.shape);
    uint32_t filter = XNN_INVALID_VALUE_ID;
    check(xnn_define_channelwise_quantized_tensor_value(subgraph_.get(), xnn_datatype_qcint8, w_scales.data(),
                                                        d.size(), channel_dim, d.data(),
                                                        owned_.int8s.back().data(), XNN_INVALID_VALUE_ID, 0,
                                                        &filter),
          "channelwise_quantized_tensor_value (filter)");
    uint32_t bias = XNN_INVALID_VALUE_ID;
    if (op_->inputs.size() > 2 && op_->inputs[2] >= 0) {
      const Tensor& b = constant(2);
      if (b.values.size() != channels) fail("bias size differs from the output channels");
      std::vector<float> b_scales(channels);
      std::vector<int32_t> b_q(channels);
      for (size_t c = 0; c < channels; ++c) {
        b_scales[c] = in_p.scale * w_scales[c];
        b_q[c] = static_cast<int32_t>(std::lrint(b.values[c] / b_scales[c]));
      }
      owned_.floats.push_back(std::move(b_scales));
      owned_.int32s.push_back(std::move(b_q));
      const size_t bd[] = {channels};
      check(xnn_define_channelwise_quantized_tensor_value(subgraph_.get(), xnn_datatype_qcint32,
                                                          owned_.floats.back().data(), 1, 0, bd,
                                                          owned_.int32s.back().data(), XNN_INVALID_VALUE_ID, 0,
                                                          &bias),
            "channelwise_quantized_tensor_value (bias)");
    }
    const uint32_t output = int8_output(out_p);
    if (depthwise)
      depthwise_conv2d(input, filter, bias, output);
    else
      conv2d(input, filter, bias, output);
  }

  const Graph& g_;
  OwnedData& owned_;
  const ActivationRanges* ranges_;
  std::vector<uint32_t> ids_;   // float value of each tensor (defined on first use)
  std::vector<uint32_t> qids_;  // int8 value of each tensor, in the int8 variant
  std::vector<QuantParams> qparams_;
  XnnSubgraph subgraph_;
  const Operator* op_ = nullptr;
};

}  // namespace

void ensure_xnnpack() {
  static std::once_flag once;
  static xnn_status status = xnn_status_uninitialized;
  std::call_once(once, [] { status = xnn_initialize(nullptr); });
  if (status != xnn_status_success)
    throw std::runtime_error("xnn_initialize failed (xnn_status " + std::to_string(status) + ")");
}

XnnSubgraph build_subgraph(const Graph& graph, OwnedData& owned, const BuildOptions& options) {
  ensure_xnnpack();
  return Builder(graph, owned, options).build();
}

}  // namespace sueo::landmarks::detail
