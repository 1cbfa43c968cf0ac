// One oneDNN primitive per tflite operator (dnnl_builder.h). Convolutions, pools and resizes choose
// their own blocked layouts (format_tag::any); DnnlNet::as inserts a reorder where two disagree.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "landmarks/dnnl_builder.h"
#include "landmarks/dnnl_internal.h"

namespace sueo::landmarks::detail {
namespace {

using dnnl::memory;
using dt = memory::data_type;
using tag = memory::format_tag;

// TF SAME padding: (before, after) for one spatial dim.
std::pair<int, int> same_pad(int in, int out, int kernel, int stride, int dilation) {
  const int effective = (kernel - 1) * dilation + 1;
  const int total = std::max((out - 1) * stride + effective - in, 0);
  return {total / 2, total - total / 2};
}

// A fused activation as an eltwise post-op: ReLU as relu (cheaper), anything bounded as clip.
void append_clamp(dnnl::post_ops& po, const Operator& op) {
  if (!has_clamp(op)) return;
  if (op.out_min == 0 && !std::isfinite(op.out_max)) {
    po.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    return;
  }
  constexpr float kHuge = 3.0e38f;  // "unbounded" for clip
  po.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, std::isfinite(op.out_min) ? op.out_min : -kHuge,
                    std::isfinite(op.out_max) ? op.out_max : kHuge);
}

// A primitive's attributes with the operator's fused activation (if any) as its only post-op.
dnnl::primitive_attr clamp_attr(const Operator& op) {
  dnnl::post_ops po;
  append_clamp(po, op);
  dnnl::primitive_attr attr;
  attr.set_post_ops(po);
  return attr;
}

memory::desc with_type(memory::desc md, dt type) {
  md.data.data_type = static_cast<dnnl_data_type_t>(type);
  return md;
}

dt type_of(const memory& m) { return static_cast<dt>(m.get_desc().data.data_type); }

// The TFLite filter as oneDNN sees it, f32 in its file layout: CONV [O,KH,KW,I] as oihw dims with
// strides; DEPTHWISE [1,KH,KW,C*M] (output channel c*M+m) as grouped goihw {C, M, 1, KH, KW}.
memory::desc tflite_filter(const Tensor& w, int C, int O, bool depthwise) {
  const int KH = w.shape[1], KW = w.shape[2];
  if (depthwise) {
    const int M = O / C;
    return {{C, M, 1, KH, KW}, dt::f32, memory::dims{M, 1, 1, KW * C * M, C * M}};
  }
  return {{O, C, KH, KW}, dt::f32, memory::dims{KH * KW * C, 1, KW * C, C}};
}

}  // namespace

void DnnlNet::convolution(const Operator& op, bool depthwise) {
  int x = op.inputs[0];
  Pad pad;
  if (pads_[static_cast<size_t>(x)].tensor >= 0) {
    pad = pads_[static_cast<size_t>(x)];
    x = pad.tensor;
  }
  const Tensor &w = tensor(op.inputs[1]), &xin = tensor(x), &y = tensor(op.outputs[0]);
  const int fused = fused_add_[static_cast<size_t>(op.outputs[0])];
  const Operator* sum = fused >= 0 ? &g_.operators[static_cast<size_t>(fused)] : nullptr;
  const int out_t = sum ? sum->outputs[0] : op.outputs[0];

  const int C = xin.shape[3], O = y.shape[3], KH = w.shape[1], KW = w.shape[2];
  std::pair<int, int> ph{0, 0}, pw{0, 0};
  if (op.same_padding) {
    ph = same_pad(xin.shape[1] + pad.top + pad.bottom, y.shape[1], KH, op.stride_h, op.dilation_h);
    pw = same_pad(xin.shape[2] + pad.left + pad.right, y.shape[2], KW, op.stride_w, op.dilation_w);
  }
  const memory::dims strides{op.stride_h, op.stride_w}, dilation{op.dilation_h - 1, op.dilation_w - 1};
  const memory::dims pad_l{pad.top + ph.first, pad.left + pw.first};
  const memory::dims pad_r{pad.bottom + ph.second, pad.right + pw.second};

  dnnl::post_ops po;
  append_clamp(po, op);
  if (sum) {
    po.append_sum(1.f);  // dst = conv(x) + dst, dst pre-filled with the ADD's other input
    append_clamp(po, *sum);
  }
  dnnl::primitive_attr attr;
  attr.set_post_ops(po);

  const dt src_t = bf16_ ? dt::bf16 : dt::f32;
  const memory::dims w_dims = depthwise ? memory::dims{C, O / C, 1, KH, KW} : memory::dims{O, C, KH, KW};
  const memory::desc src_md({1, C, xin.shape[1], xin.shape[2]}, src_t, tag::any);
  const memory::desc w_md(w_dims, src_t, tag::any);
  const memory::desc b_md({O}, dt::f32, tag::a);
  const memory::desc dst_md({1, O, y.shape[1], y.shape[2]}, act_type(out_t), tag::any);
  dnnl::convolution_forward::primitive_desc pd(
      dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                      src_md, w_md, b_md, dst_md, strides, dilation, pad_l, pad_r),
      attr, engine_);

  const memory wm = weights(tflite_filter(w, C, O, depthwise), w.values.data(), pd.weights_desc());
  const memory bm = bias(op, O);
  const memory src = as(x, pd.src_desc());
  const memory dst(pd.dst_desc(), engine_);
  if (sum) {
    const int other = sum->inputs[0] == op.outputs[0] ? sum->inputs[1] : sum->inputs[0];
    const memory& v = values_.at(static_cast<size_t>(other));
    step(dnnl::reorder(dnnl::reorder::primitive_desc(engine_, v.get_desc(), engine_, dst.get_desc())),
         {{DNNL_ARG_FROM, v}, {DNNL_ARG_TO, dst}});
  }
  step(dnnl::convolution_forward(pd),
       {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_BIAS, bm}, {DNNL_ARG_DST, dst}});
  values_[static_cast<size_t>(out_t)] = dst;
}

void DnnlNet::add(const Operator& op) {
  if (values_[static_cast<size_t>(op.outputs[0])]) return;  // folded into a convolution
  const memory& a = values_.at(static_cast<size_t>(op.inputs[0]));
  const int b = op.inputs[1];
  const memory mb = as(b, with_type(a.get_desc(), type_of(values_.at(static_cast<size_t>(b)))));
  const dnnl::primitive_attr attr = clamp_attr(op);
  const memory::desc dst_md = with_type(a.get_desc(), act_type(op.outputs[0]));
  dnnl::binary::primitive_desc pd(dnnl::binary::desc(dnnl::algorithm::binary_add, a.get_desc(), mb.get_desc(), dst_md),
                                  attr, engine_);
  const memory dst(pd.dst_desc(), engine_);
  step(dnnl::binary(pd), {{DNNL_ARG_SRC_0, a}, {DNNL_ARG_SRC_1, mb}, {DNNL_ARG_DST, dst}});
  values_[static_cast<size_t>(op.outputs[0])] = dst;
}

void DnnlNet::pool_or_resize(const Operator& op) {
  if (has_clamp(op)) throw std::runtime_error("oneDNN engine: fused activation on a pool or resize");
  const memory v = values_.at(static_cast<size_t>(op.inputs[0]));
  const Tensor &xin = tensor(op.inputs[0]), &y = tensor(op.outputs[0]);
  // The output keeps the input's type: a max or an interpolation of bf16 values needs no more bits.
  const memory::desc dst_md({1, y.shape[3], y.shape[1], y.shape[2]}, type_of(v), tag::any);
  dnnl::primitive p;
  memory dst;
  if (op.kind == OpKind::kMaxPool2d) {
    std::pair<int, int> ph{0, 0}, pw{0, 0};
    if (op.same_padding) {
      ph = same_pad(xin.shape[1], y.shape[1], op.filter_h, op.stride_h, 1);
      pw = same_pad(xin.shape[2], y.shape[2], op.filter_w, op.stride_w, 1);
    }
    dnnl::pooling_forward::primitive_desc pd(
        dnnl::pooling_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_max, v.get_desc(),
                                    dst_md, {op.stride_h, op.stride_w}, {op.filter_h, op.filter_w},
                                    {ph.first, pw.first}, {ph.second, pw.second}),
        engine_);
    dst = memory(pd.dst_desc(), engine_);
    p = dnnl::pooling_forward(pd);
  } else {
    // oneDNN's linear resampling samples at half-pixel centres, TFLite's half_pixel_centers mode.
    if (op.align_corners || !op.half_pixel_centers)
      throw std::runtime_error("oneDNN engine: RESIZE_BILINEAR without half-pixel centres");
    dnnl::resampling_forward::primitive_desc pd(
        dnnl::resampling_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::resampling_linear,
                                       v.get_desc(), dst_md),
        engine_);
    dst = memory(pd.dst_desc(), engine_);
    p = dnnl::resampling_forward(pd);
  }
  step(p, {{DNNL_ARG_SRC, v}, {DNNL_ARG_DST, dst}});
  values_[static_cast<size_t>(op.outputs[0])] = dst;
}

void DnnlNet::mean(const Operator& op) {
  // MEAN over H and W as a global average pool: oneDNN 2.6's reduction primitive has only a reference
  // kernel, its pooling is JIT-compiled.
  const auto& axes = tensor(op.inputs[1]).ints;
  const Tensor& xin = tensor(op.inputs[0]);
  if (xin.shape.size() != 4 || axes != std::vector<int32_t>{1, 2})
    throw std::runtime_error("oneDNN engine: MEAN other than over H and W");
  const memory src = plain_f32(op.inputs[0]);
  const memory::desc dst_md({1, xin.shape[3], 1, 1}, dt::f32, tag::nhwc);
  dnnl::pooling_forward::primitive_desc pd(
      dnnl::pooling_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::pooling_avg_exclude_padding,
                                  src.get_desc(), dst_md, {1, 1}, {xin.shape[1], xin.shape[2]}, {0, 0}, {0, 0}),
      engine_);
  const memory dst(dst_md, engine_);
  step(dnnl::pooling_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  owners_.push_back(dst);  // the output tensor (keep_dims or not) is a view of the same C floats
  values_[static_cast<size_t>(op.outputs[0])] =
      memory(plain_desc(tensor(op.outputs[0]).shape, dt::f32), engine_, dst.get_data_handle());
}

void DnnlNet::fully_connected(const Operator& op) {
  const Tensor &w = tensor(op.inputs[1]), &y = tensor(op.outputs[0]);
  const int O = w.shape[0], N = w.shape[1];
  const memory in = plain_f32(op.inputs[0]);
  owners_.push_back(in);
  const memory flat({{1, N}, dt::f32, tag::ab}, engine_, in.get_data_handle());
  const memory::desc w_md({O, N}, dt::f32, tag::any), dst_md({1, O}, dt::f32, tag::ab);
  const dnnl::primitive_attr attr = clamp_attr(op);
  dnnl::inner_product_forward::primitive_desc pd(
      dnnl::inner_product_forward::desc(dnnl::prop_kind::forward_inference, flat.get_desc(), w_md,
                                        {{O}, dt::f32, tag::a}, dst_md),
      attr, engine_);
  const memory wm = weights({{O, N}, dt::f32, tag::ab}, w.values.data(), pd.weights_desc());
  const memory bm = bias(op, O);
  const memory dst(dst_md, engine_);
  step(dnnl::inner_product_forward(pd),
       {{DNNL_ARG_SRC, flat}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_BIAS, bm}, {DNNL_ARG_DST, dst}});
  owners_.push_back(dst);
  values_[static_cast<size_t>(op.outputs[0])] = memory(plain_desc(y.shape, dt::f32), engine_, dst.get_data_handle());
}

void DnnlNet::logistic(const Operator& op) {
  const memory src = plain_f32(op.inputs[0]);
  dnnl::eltwise_forward::primitive_desc pd(
      dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::eltwise_logistic,
                                  src.get_desc(), 0.f, 0.f),
      engine_);
  const memory dst(src.get_desc(), engine_);
  step(dnnl::eltwise_forward(pd), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  values_[static_cast<size_t>(op.outputs[0])] = dst;
}

void DnnlNet::reshape(const Operator& op) {
  // A row-major reshape is a new view of the same plain floats.
  const memory src = plain_f32(op.inputs[0]);
  owners_.push_back(src);
  values_[static_cast<size_t>(op.outputs[0])] =
      memory(plain_desc(tensor(op.outputs[0]).shape, dt::f32), engine_, src.get_data_handle());
}

}  // namespace sueo::landmarks::detail
