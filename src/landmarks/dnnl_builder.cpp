// Graph walk and memory plumbing of the oneDNN engine (dnnl_builder.h); the operators are in dnnl_ops.cpp.
// Logical dims are oneDNN's NCHW; the tflite tensors are NHWC, so a plain 4-D tensor is format nhwc over
// dims {1, C, H, W}.
#include "landmarks/dnnl_builder.h"

#include <omp.h>

#include <cmath>
#include <stdexcept>

#include "landmarks/dnnl_internal.h"

namespace sueo::landmarks::detail {
namespace {

using dnnl::memory;
using dt = memory::data_type;

// Sets the calling thread's OpenMP team size for a scope and restores it after. oneDNN's OpenMP
// runtime sizes its parallel regions from omp_get_max_threads() of the calling thread, both when a
// primitive is created (some kernels split their work then) and when it runs, so both are wrapped.
class OmpThreads {
 public:
  explicit OmpThreads(int threads) : before_(omp_get_max_threads()) { omp_set_num_threads(std::max(threads, 1)); }
  ~OmpThreads() { omp_set_num_threads(before_); }
  OmpThreads(const OmpThreads&) = delete;
  OmpThreads& operator=(const OmpThreads&) = delete;

 private:
  int before_;
};

}  // namespace

bool cpu_has_native_bf16() {
  const auto isa = dnnl::get_effective_cpu_isa();
  return isa == dnnl::cpu_isa::avx512_core_bf16 || isa == dnnl::cpu_isa::avx512_core_amx;
}

memory::desc plain_desc(const std::vector<int>& shape, dt type) {
  using tag = memory::format_tag;
  switch (shape.size()) {
    case 4: return {{shape[0], shape[3], shape[1], shape[2]}, type, tag::nhwc};
    case 3: return {{shape[0], shape[1], shape[2]}, type, tag::abc};
    case 2: return {{shape[0], shape[1]}, type, tag::ab};
    case 1: return {{shape[0]}, type, tag::a};
  }
  throw std::runtime_error("oneDNN engine: tensor of rank " + std::to_string(shape.size()));
}

bool has_clamp(const Operator& op) { return std::isfinite(op.out_min) || std::isfinite(op.out_max); }

DnnlNet::DnnlNet(const Graph& graph, bool bf16, int threads)
    : g_(graph),
      bf16_(bf16),
      threads_(threads),
      engine_(dnnl::engine::kind::cpu, 0),
      stream_(engine_),
      values_(graph.tensors.size()),
      uses_(graph.tensors.size(), 0),
      pads_(graph.tensors.size()),
      fused_add_(graph.tensors.size(), -1),
      low_(graph.tensors.size(), false) {
  const OmpThreads omp(threads_);
  plan(graph);
  for (int t : graph.inputs) {
    inputs_.emplace_back(plain_desc(tensor(t).shape, dt::f32), engine_);
    values_[static_cast<size_t>(t)] = inputs_.back();
  }
  for (const Operator& op : graph.operators) {
    try {
      if (op.kind != OpKind::kPad) add_op(op);  // pads are folded (plan)
    } catch (const dnnl::error& e) {
      throw std::runtime_error(std::string("oneDNN engine: ") + op_name(op.kind) + " at operator " +
                               std::to_string(op.index) + ": " + e.what());
    }
  }
  for (int t : graph.outputs) outputs_.push_back(plain_f32(t));
}

void DnnlNet::plan(const Graph& graph) {
  std::vector<int> producer(graph.tensors.size(), -1), consumer(graph.tensors.size(), -1);
  for (size_t i = 0; i < graph.operators.size(); ++i) {
    for (int t : graph.operators[i].inputs)
      if (t >= 0) ++uses_[static_cast<size_t>(t)], consumer[static_cast<size_t>(t)] = static_cast<int>(i);
    for (int t : graph.operators[i].outputs) producer[static_cast<size_t>(t)] = static_cast<int>(i);
  }
  for (int t : graph.outputs) ++uses_[static_cast<size_t>(t)];
  // ADD(conv, other) where the conv's output has no other use, no clamp of its own, and `other` is
  // ready before the conv runs: the ADD becomes the conv's sum post-op (one pass over memory less).
  for (size_t i = 0; i < graph.operators.size(); ++i) {
    const Operator& op = graph.operators[i];
    if (op.kind != OpKind::kAdd) continue;
    for (int k = 0; k < 2; ++k) {
      const int c = op.inputs[static_cast<size_t>(k)], other = op.inputs[static_cast<size_t>(1 - k)];
      const int p = producer[static_cast<size_t>(c)];
      if (p < 0 || uses_[static_cast<size_t>(c)] != 1) continue;
      const Operator& conv = graph.operators[static_cast<size_t>(p)];
      if ((conv.kind != OpKind::kConv2d && conv.kind != OpKind::kDepthwiseConv2d) || has_clamp(conv)) continue;
      if (producer[static_cast<size_t>(other)] >= p) continue;
      fused_add_[static_cast<size_t>(c)] = static_cast<int>(i);
      break;
    }
  }
  // A PAD of H and W only, used once by a convolution: folded into that convolution's padding.
  for (const Operator& op : graph.operators) {
    if (op.kind != OpKind::kPad) continue;
    const auto& p = tensor(op.inputs[1]).ints;
    const int out = op.outputs[0], c = consumer[static_cast<size_t>(out)];
    const OpKind next = c >= 0 ? graph.operators[static_cast<size_t>(c)].kind : OpKind::kPad;
    if (p.size() != 8 || p[0] || p[1] || p[6] || p[7] || uses_[static_cast<size_t>(out)] != 1 ||
        (next != OpKind::kConv2d && next != OpKind::kDepthwiseConv2d))
      throw std::runtime_error("oneDNN engine: PAD at operator " + std::to_string(op.index) +
                               ": only a pad of H and W before a convolution");
    pads_[static_cast<size_t>(out)] = {op.inputs[0], p[2], p[3], p[4], p[5]};
  }
  // bf16 storage: every tensor whose every reader takes bf16 (see the header), never a model output.
  if (!bf16_) return;
  low_.assign(graph.tensors.size(), true);
  for (int t : graph.outputs) low_[static_cast<size_t>(t)] = false;
  for (int t : graph.inputs) low_[static_cast<size_t>(t)] = false;
  for (const Operator& op : graph.operators) {
    const bool takes_bf16 = op.kind == OpKind::kConv2d || op.kind == OpKind::kDepthwiseConv2d ||
                            op.kind == OpKind::kAdd || op.kind == OpKind::kMaxPool2d ||
                            op.kind == OpKind::kResizeBilinear || op.kind == OpKind::kPad;
    if (!takes_bf16)
      for (int t : op.inputs)
        if (t >= 0) low_[static_cast<size_t>(t)] = false;
  }
}

float* DnnlNet::input(size_t i) { return static_cast<float*>(inputs_.at(i).get_data_handle()); }
const float* DnnlNet::input(size_t i) const { return static_cast<const float*>(inputs_.at(i).get_data_handle()); }

const float* DnnlNet::output(size_t j) const {
  return static_cast<const float*>(outputs_.at(j).get_data_handle());
}

void DnnlNet::run() {
  const OmpThreads omp(threads_);
  for (auto& [p, args] : steps_) p.execute(stream_, args);
  stream_.wait();
}

dt DnnlNet::act_type(int t) const { return low_[static_cast<size_t>(t)] ? dt::bf16 : dt::f32; }

memory DnnlNet::as(int t, const memory::desc& md) {
  const memory& v = values_.at(static_cast<size_t>(t));
  if (!v) throw std::runtime_error("oneDNN engine: tensor " + tensor(t).name + " used before it is computed");
  if (v.get_desc() == md) return v;
  memory to(md, engine_);
  dnnl::reorder::primitive_desc pd(engine_, v.get_desc(), engine_, md);
  step(dnnl::reorder(pd), {{DNNL_ARG_FROM, v}, {DNNL_ARG_TO, to}});
  return to;
}

memory DnnlNet::plain_f32(int t) { return as(t, plain_desc(tensor(t).shape, dt::f32)); }

memory DnnlNet::weights(const memory::desc& user, const float* data, const memory::desc& want) {
  memory src(user, engine_, const_cast<float*>(data));  // read only: the reorder's source
  memory dst(want, engine_);
  dnnl::reorder(dnnl::reorder::primitive_desc(engine_, user, engine_, want)).execute(stream_, src, dst);
  stream_.wait();
  return dst;
}

memory DnnlNet::bias(const Operator& op, int channels) {
  std::vector<float> b(static_cast<size_t>(channels), 0.f);
  if (op.inputs.size() > 2 && op.inputs[2] >= 0) b = tensor(op.inputs[2]).values;
  if (b.size() != static_cast<size_t>(channels))
    throw std::runtime_error("oneDNN engine: bias size at operator " + std::to_string(op.index));
  bias_.push_back(std::move(b));
  return memory({{channels}, dt::f32, memory::format_tag::a}, engine_, bias_.back().data());
}

void DnnlNet::add_op(const Operator& op) {
  switch (op.kind) {
    case OpKind::kConv2d: return convolution(op, false);
    case OpKind::kDepthwiseConv2d: return convolution(op, true);
    case OpKind::kAdd: return add(op);
    case OpKind::kMaxPool2d:
    case OpKind::kResizeBilinear: return pool_or_resize(op);
    case OpKind::kMean: return mean(op);
    case OpKind::kFullyConnected: return fully_connected(op);
    case OpKind::kLogistic: return logistic(op);
    case OpKind::kReshape: return reshape(op);
    default:
      throw std::runtime_error(std::string("oneDNN engine: no mapping for ") + op_name(op.kind) + " at operator " +
                               std::to_string(op.index));
  }
}

}  // namespace sueo::landmarks::detail
