#include "reference_interpreter.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace sueo::landmarks::testing {
namespace {

using detail::Graph;
using detail::Operator;
using detail::OpKind;
using detail::Tensor;

struct Array {
  std::vector<int> shape;
  std::vector<double> v;
};

// Shape helpers for NHWC (batch 1).
int dim(const Array& a, size_t d) { return a.shape.at(d); }

size_t count(const std::vector<int>& shape) {
  size_t n = 1;
  for (int d : shape) n *= static_cast<size_t>(d);
  return n;
}

double clamp_activation(double x, const Operator& op) {
  return std::min<double>(std::max<double>(x, op.out_min), op.out_max);
}

// TF padding: SAME puts the odd pixel after; VALID none.
int pad_before(const Operator& op, int in, int out, int stride, int k, int dilation) {
  if (!op.same_padding) return 0;
  const int needed = (out - 1) * stride + (k - 1) * dilation + 1 - in;
  return std::max(needed, 0) / 2;
}

Array conv2d(const Operator& op, const Array& x, const Tensor& w, const Tensor* b,
             const std::vector<int>& out_shape, bool depthwise) {
  Array y{out_shape, std::vector<double>(count(out_shape))};
  const int H = dim(x, 1), W = dim(x, 2), C = dim(x, 3);
  const int OH = out_shape[1], OW = out_shape[2], OC = out_shape[3];
  const int KH = w.shape[1], KW = w.shape[2];
  const int ph = pad_before(op, H, OH, op.stride_h, KH, op.dilation_h);
  const int pw = pad_before(op, W, OW, op.stride_w, KW, op.dilation_w);
  const int multiplier = depthwise ? OC / C : 0;
  for (int oy = 0; oy < OH; ++oy)
    for (int ox = 0; ox < OW; ++ox)
      for (int oc = 0; oc < OC; ++oc) {
        double acc = b ? b->values[static_cast<size_t>(oc)] : 0.0;
        for (int ky = 0; ky < KH; ++ky) {
          const int iy = oy * op.stride_h - ph + ky * op.dilation_h;
          if (iy < 0 || iy >= H) continue;
          for (int kx = 0; kx < KW; ++kx) {
            const int ix = ox * op.stride_w - pw + kx * op.dilation_w;
            if (ix < 0 || ix >= W) continue;
            const double* in = &x.v[static_cast<size_t>((iy * W + ix) * C)];
            if (depthwise) {
              acc += in[oc / multiplier] * w.values[static_cast<size_t>((ky * KW + kx) * OC + oc)];
            } else {
              const float* k = &w.values[static_cast<size_t>(((oc * KH + ky) * KW + kx) * C)];
              for (int ic = 0; ic < C; ++ic) acc += in[ic] * k[ic];
            }
          }
        }
        y.v[static_cast<size_t>((oy * OW + ox) * OC + oc)] = clamp_activation(acc, op);
      }
  return y;
}

// Index of `out_index` (in `out_shape`) in a tensor of `shape` broadcast to out_shape (numpy rules).
size_t broadcast_index(size_t out_index, const std::vector<int>& out_shape, const std::vector<int>& shape) {
  size_t index = 0, stride = 1;
  for (size_t k = 0; k < out_shape.size(); ++k) {
    const size_t d = out_shape.size() - 1 - k;
    const auto coord = out_index % static_cast<size_t>(out_shape[d]);
    out_index /= static_cast<size_t>(out_shape[d]);
    if (k < shape.size()) {
      const auto n = static_cast<size_t>(shape[shape.size() - 1 - k]);
      index += (n == 1 ? 0 : coord) * stride;
      stride *= n;
    }
  }
  return index;
}

Array max_pool(const Operator& op, const Array& x, const std::vector<int>& out_shape) {
  Array y{out_shape, std::vector<double>(count(out_shape))};
  const int H = dim(x, 1), W = dim(x, 2), C = dim(x, 3), OH = out_shape[1], OW = out_shape[2];
  const int ph = pad_before(op, H, OH, op.stride_h, op.filter_h, 1),
            pw = pad_before(op, W, OW, op.stride_w, op.filter_w, 1);
  for (int oy = 0; oy < OH; ++oy)
    for (int ox = 0; ox < OW; ++ox)
      for (int c = 0; c < C; ++c) {
        double m = -INFINITY;
        for (int ky = 0; ky < op.filter_h; ++ky)
          for (int kx = 0; kx < op.filter_w; ++kx) {
            const int iy = oy * op.stride_h - ph + ky, ix = ox * op.stride_w - pw + kx;
            if (iy >= 0 && iy < H && ix >= 0 && ix < W)
              m = std::max(m, x.v[static_cast<size_t>((iy * W + ix) * C + c)]);
          }
        y.v[static_cast<size_t>((oy * OW + ox) * C + c)] = clamp_activation(m, op);
      }
  return y;
}

// Source coordinate of output pixel `o` and the two neighbours with the weight of the second.
struct Sample {
  int lo, hi;
  double frac;
};
Sample resize_source(const Operator& op, int o, int in, int out) {
  double src;
  if (op.align_corners) {
    src = out > 1 ? o * double(in - 1) / (out - 1) : 0.0;
  } else if (op.half_pixel_centers) {
    src = (o + 0.5) * double(in) / out - 0.5;
  } else {
    src = o * double(in) / out;
  }
  const double lo = std::floor(src);
  const int l = static_cast<int>(lo);
  return {std::clamp(l, 0, in - 1), std::clamp(l + 1, 0, in - 1), src - lo};
}

Array resize_bilinear(const Operator& op, const Array& x, const std::vector<int>& out_shape) {
  Array y{out_shape, std::vector<double>(count(out_shape))};
  const int H = dim(x, 1), W = dim(x, 2), C = dim(x, 3), OH = out_shape[1], OW = out_shape[2];
  auto at = [&](int yy, int xx, int c) { return x.v[static_cast<size_t>((yy * W + xx) * C + c)]; };
  for (int oy = 0; oy < OH; ++oy) {
    const Sample sy = resize_source(op, oy, H, OH);
    for (int ox = 0; ox < OW; ++ox) {
      const Sample sx = resize_source(op, ox, W, OW);
      for (int c = 0; c < C; ++c) {
        const double top = at(sy.lo, sx.lo, c) * (1 - sx.frac) + at(sy.lo, sx.hi, c) * sx.frac;
        const double bottom = at(sy.hi, sx.lo, c) * (1 - sx.frac) + at(sy.hi, sx.hi, c) * sx.frac;
        y.v[static_cast<size_t>((oy * OW + ox) * C + c)] = top * (1 - sy.frac) + bottom * sy.frac;
      }
    }
  }
  return y;
}

// Visits every coordinate of `shape` in row-major order.
template <class F>
void for_each_coord(const std::vector<int>& shape, F f) {
  std::vector<int> c(shape.size(), 0);
  for (size_t i = 0, n = count(shape); i < n; ++i) {
    f(c, i);
    for (size_t d = shape.size(); d-- > 0;) {
      if (++c[d] < shape[d]) break;
      c[d] = 0;
    }
  }
}

size_t linear(const std::vector<int>& coord, const std::vector<int>& shape) {
  size_t index = 0;
  for (size_t d = 0; d < shape.size(); ++d)
    index = index * static_cast<size_t>(shape[d]) + static_cast<size_t>(coord[d]);
  return index;
}

Array pad(const Array& x, const Tensor& paddings, const std::vector<int>& out_shape) {
  Array y{out_shape, std::vector<double>(count(out_shape), 0.0)};
  for_each_coord(x.shape, [&](const std::vector<int>& c, size_t i) {
    std::vector<int> o = c;
    for (size_t d = 0; d < o.size(); ++d) o[d] += paddings.ints[2 * d];
    y.v[linear(o, out_shape)] = x.v[i];
  });
  return y;
}

Array concatenation(const Operator& op, const std::vector<const Array*>& xs,
                    const std::vector<int>& out_shape) {
  Array y{out_shape, std::vector<double>(count(out_shape))};
  const auto axis = static_cast<size_t>(op.axis < 0 ? op.axis + static_cast<int>(out_shape.size()) : op.axis);
  int offset = 0;
  for (const Array* x : xs) {
    for_each_coord(x->shape, [&](const std::vector<int>& c, size_t i) {
      std::vector<int> o = c;
      o[axis] += offset;
      y.v[linear(o, out_shape)] = clamp_activation(x->v[i], op);
    });
    offset += x->shape[axis];
  }
  return y;
}

Array mean(const Array& x, const Tensor& axes, const std::vector<int>& out_shape) {
  std::vector<bool> reduced(x.shape.size(), false);
  for (int a : axes.ints)
    reduced[static_cast<size_t>(a < 0 ? a + static_cast<int>(x.shape.size()) : a)] = true;
  std::vector<int> kept;  // the output coordinate = the input's non-reduced coordinates
  Array y{out_shape, std::vector<double>(count(out_shape), 0.0)};
  size_t per_output = 1;
  for (size_t d = 0; d < x.shape.size(); ++d)
    if (reduced[d]) per_output *= static_cast<size_t>(x.shape[d]);
  for_each_coord(x.shape, [&](const std::vector<int>& c, size_t i) {
    size_t o = 0;
    for (size_t d = 0; d < c.size(); ++d)
      if (!reduced[d]) o = o * static_cast<size_t>(x.shape[d]) + static_cast<size_t>(c[d]);
    y.v[o] += x.v[i];
  });
  for (double& v : y.v) v /= static_cast<double>(per_output);
  return y;
}

Array fully_connected(const Operator& op, const Array& x, const Tensor& w, const Tensor* b,
                      const std::vector<int>& out_shape) {
  Array y{out_shape, std::vector<double>(count(out_shape))};
  const int O = w.shape[0], I = w.shape[1];
  for (int o = 0; o < O; ++o) {
    double acc = b ? b->values[static_cast<size_t>(o)] : 0.0;
    for (int i = 0; i < I; ++i) acc += x.v[static_cast<size_t>(i)] * w.values[static_cast<size_t>(o * I + i)];
    y.v[static_cast<size_t>(o)] = clamp_activation(acc, op);
  }
  return y;
}

Array depth_to_space(const Operator& op, const Array& x, const std::vector<int>& out_shape) {
  Array y{out_shape, std::vector<double>(count(out_shape))};
  const int bs = op.block_size, W = dim(x, 2), C = dim(x, 3), OC = out_shape[3], OW = out_shape[2];
  for_each_coord(out_shape, [&](const std::vector<int>& c, size_t i) {
    const int iy = c[1] / bs, ix = c[2] / bs, by = c[1] % bs, bx = c[2] % bs;
    y.v[i] = x.v[static_cast<size_t>((iy * W + ix) * C + (by * bs + bx) * OC + c[3])];
  });
  (void)OW;
  return y;
}

Array strided_slice(const Operator& op, const Array& x, const Tensor& begin, const Tensor& end,
                    const Tensor& strides, const std::vector<int>& out_shape) {
  const size_t rank = x.shape.size();
  std::vector<int> b(rank), s(rank), n(rank);
  for (size_t d = 0; d < rank; ++d) {
    const int size = x.shape[d];
    s[d] = strides.ints[d];
    int bb = (op.begin_mask >> d & 1) ? 0 : begin.ints[d];
    int ee = (op.end_mask >> d & 1) ? size : end.ints[d];
    if (bb < 0) bb += size;
    if (ee < 0) ee += size;
    bb = std::clamp(bb, 0, size);
    ee = std::clamp(ee, 0, size);
    b[d] = bb;
    n[d] = ee > bb ? (ee - bb + s[d] - 1) / s[d] : 0;
  }
  Array y{out_shape, std::vector<double>(count(n))};
  for_each_coord(n, [&](const std::vector<int>& c, size_t i) {
    std::vector<int> src(rank);
    for (size_t d = 0; d < rank; ++d) src[d] = b[d] + c[d] * s[d];
    y.v[i] = x.v[linear(src, x.shape)];
  });
  return y;
}

}  // namespace

std::vector<std::vector<double>> run_reference(const Graph& g,
                                               const std::vector<std::vector<float>>& inputs) {
  std::vector<Array> values(g.tensors.size());
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    const Tensor& t = g.tensors[static_cast<size_t>(g.inputs[i])];
    values[static_cast<size_t>(g.inputs[i])] = Array{
        t.shape, std::vector<double>(inputs[i].begin(), inputs[i].begin() + static_cast<long>(t.elements()))};
  }
  auto tensor = [&](const Operator& op, size_t i) -> const Tensor& {
    return g.tensors[static_cast<size_t>(op.inputs[i])];
  };
  auto value = [&](const Operator& op, size_t i) -> const Array& {
    const Tensor& t = tensor(op, i);
    Array& a = values[static_cast<size_t>(op.inputs[i])];
    if (t.is_constant && a.v.empty())
      a = Array{t.shape, std::vector<double>(t.values.begin(), t.values.end())};
    return a;
  };
  auto optional = [&](const Operator& op, size_t i) -> const Tensor* {
    return i < op.inputs.size() && op.inputs[i] >= 0 ? &tensor(op, i) : nullptr;
  };
  for (const Operator& op : g.operators) {
    const auto& out_shape = g.tensors[static_cast<size_t>(op.outputs[0])].shape;
    Array y;
    switch (op.kind) {
      case OpKind::kConv2d:
        y = conv2d(op, value(op, 0), tensor(op, 1), optional(op, 2), out_shape, false);
        break;
      case OpKind::kDepthwiseConv2d:
        y = conv2d(op, value(op, 0), tensor(op, 1), optional(op, 2), out_shape, true);
        break;
      case OpKind::kAdd:
      case OpKind::kPrelu: {
        const Array& a = value(op, 0);
        const Array& b = value(op, 1);
        y = Array{out_shape, std::vector<double>(count(out_shape))};
        for (size_t i = 0; i < y.v.size(); ++i) {
          const double u = a.v[broadcast_index(i, out_shape, a.shape)],
                       w = b.v[broadcast_index(i, out_shape, b.shape)];
          y.v[i] = op.kind == OpKind::kAdd ? clamp_activation(u + w, op) : (u >= 0 ? u : u * w);
        }
        break;
      }
      case OpKind::kMaxPool2d:
        y = max_pool(op, value(op, 0), out_shape);
        break;
      case OpKind::kPad:
        y = pad(value(op, 0), tensor(op, 1), out_shape);
        break;
      case OpKind::kResizeBilinear:
        y = resize_bilinear(op, value(op, 0), out_shape);
        break;
      case OpKind::kReshape:
        y = Array{out_shape, value(op, 0).v};
        break;
      case OpKind::kConcatenation: {
        std::vector<const Array*> xs;
        for (size_t i = 0; i < op.inputs.size(); ++i) xs.push_back(&value(op, i));
        y = concatenation(op, xs, out_shape);
        break;
      }
      case OpKind::kMean:
        y = mean(value(op, 0), tensor(op, 1), out_shape);
        break;
      case OpKind::kFullyConnected:
        y = fully_connected(op, value(op, 0), tensor(op, 1), optional(op, 2), out_shape);
        break;
      case OpKind::kClamp:
        y = value(op, 0);
        for (double& v : y.v) v = clamp_activation(v, op);
        break;
      case OpKind::kLogistic:
        y = value(op, 0);
        for (double& v : y.v) v = 1.0 / (1.0 + std::exp(-v));
        break;
      case OpKind::kDepthToSpace:
        y = depth_to_space(op, value(op, 0), out_shape);
        break;
      case OpKind::kStridedSlice:
        y = strided_slice(op, value(op, 0), tensor(op, 1), tensor(op, 2), tensor(op, 3), out_shape);
        break;
    }
    if (y.v.size() != count(out_shape))
      throw std::runtime_error(std::string("reference: bad size after ") + detail::op_name(op.kind));
    values[static_cast<size_t>(op.outputs[0])] = std::move(y);
  }
  std::vector<std::vector<double>> out;
  for (int t : g.outputs) out.push_back(values[static_cast<size_t>(t)].v);
  return out;
}

}  // namespace sueo::landmarks::testing
