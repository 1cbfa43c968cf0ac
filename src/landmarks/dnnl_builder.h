// The second landmark engine (issue 10): a parsed .tflite Graph (tflite_reader.h) mapped to oneDNN
// primitives, in bfloat16 on CPUs with AVX512_BF16 (about 1.8× faster than XNNPACK f32 there on
// hand_landmark_full and pose_landmark_full; tools/bench/dnnl_spike on branch dnnl measured it). Used
// by Runtime (model.h) for the models loaded with Precision::kBf16.
//
// Operators: CONV_2D and DEPTHWISE_CONV_2D (fused ReLU/ReLU6 as post-ops; a following ADD as a sum
// post-op; a PAD of H and W folded into the convolution's padding), ADD, MAX_POOL_2D,
// RESIZE_BILINEAR (half-pixel centres), MEAN over H and W, FULLY_CONNECTED, LOGISTIC, RESHAPE — the
// operators of the hand and pose landmark models. Anything else throws at construction.
//
// Precision (bf16): convolutions, adds, pools and resizes read and write bf16 activations with bf16
// weights and f32 accumulation (and f32 bias). The model input, the tensors feeding MEAN, FULLY_CONNECTED,
// LOGISTIC and RESHAPE, and every model output stay f32 (these are the heads, where the landmark
// coordinates are formed: rounding them to bf16's 8 significant bits would cost up to ~1 px alone).
// f32 (bf16 = false) runs everything in float: the tests use it to check the mapping itself.
//
// Threads: a DnnlNet is one thread's at a time, like an XNNPACK runtime. oneDNN (Debian's libdnnl2)
// parallelises with OpenMP; construction and run() set the calling thread's OpenMP thread count to
// `threads` for their duration (OmpThreads), so a server worker runs its model alone on its own thread
// and leaves its OpenMP setting as it found it.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "landmarks/tflite_reader.h"

namespace sueo::landmarks::detail {

// True when oneDNN runs bf16 natively here (AVX512_BF16 or AMX). Without it oneDNN would emulate bf16
// on plain AVX-512, slower than f32: we refuse instead. Honours DNNL_MAX_CPU_ISA (tests use it).
bool cpu_has_native_bf16();

class DnnlNet {
 public:
  // Throws std::runtime_error naming the operator oneDNN cannot take. The graph must outlive the net.
  DnnlNet(const Graph& graph, bool bf16, int threads = 1);
  DnnlNet(const DnnlNet&) = delete;
  DnnlNet& operator=(const DnnlNet&) = delete;

  float* input(size_t i);                // plain NHWC / row-major f32, fill before run()
  const float* input(size_t i) const;
  void run();                            // throws dnnl::error on failure
  const float* output(size_t j) const;   // plain f32, valid until the next run()

 private:
  struct Pad {  // a PAD folded into the convolution that consumes it
    int tensor = -1;
    int top = 0, bottom = 0, left = 0, right = 0;
  };
  using Args = std::unordered_map<int, dnnl::memory>;

  void plan(const Graph& graph);  // uses, folded pads, fused adds, which tensors are bf16
  void add_op(const Operator& op);
  void convolution(const Operator& op, bool depthwise);
  void add(const Operator& op);
  void pool_or_resize(const Operator& op);
  void mean(const Operator& op);
  void fully_connected(const Operator& op);
  void logistic(const Operator& op);
  void reshape(const Operator& op);

  // Tensor t's value in layout `md` (a reorder step first when it is stored otherwise).
  dnnl::memory as(int t, const dnnl::memory::desc& md);
  dnnl::memory plain_f32(int t);
  // Constant weights reordered once, now, into the layout the primitive chose.
  dnnl::memory weights(const dnnl::memory::desc& user, const float* data, const dnnl::memory::desc& want);
  dnnl::memory bias(const Operator& op, int channels);
  void step(dnnl::primitive p, Args args) { steps_.emplace_back(std::move(p), std::move(args)); }
  dnnl::memory::data_type act_type(int t) const;  // bf16 or f32 for activation tensor t
  const Tensor& tensor(int t) const { return g_.tensors.at(static_cast<size_t>(t)); }

  const Graph& g_;
  const bool bf16_;
  const int threads_;
  dnnl::engine engine_;
  dnnl::stream stream_;
  std::vector<dnnl::memory> values_;  // per tensor: where its value is (empty: not computed)
  std::vector<int> uses_;
  std::vector<Pad> pads_;
  std::vector<int> fused_add_;  // per conv output tensor: the ADD operator folded into it, or -1
  std::vector<bool> low_;       // per tensor: stored in bf16
  std::vector<dnnl::memory> inputs_, outputs_;
  std::vector<std::pair<dnnl::primitive, Args>> steps_;
  std::vector<std::vector<float>> bias_;  // host data that bias memories point at
  std::vector<dnnl::memory> owners_;      // buffers that reshaped views (reshape, mean, FC) point into
};

}  // namespace sueo::landmarks::detail
