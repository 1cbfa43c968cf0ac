// The landmark inference engine: MediaPipe .tflite models run by XNNPACK (f32, or int8 with
// calibration ranges), or by oneDNN in bf16 (Precision::kBf16, dnnl_builder.h; needs AVX512_BF16).
//
// Model   — the immutable weights of one .tflite file, parsed and folded once per process; shared by
//           every thread (all methods are const and thread-safe).
// Runtime — one runnable XNNPACK instance (runtime + its own buffers) for one thread at a time; each
//           worker owns one Runtime per model it runs. Not thread-safe: never call two methods of the
//           same Runtime concurrently.
//
// Layout: every input and output is float32, NHWC, batch 1 (the MediaPipe models' own layout), whatever
// the engine computes in inside.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "landmarks/quantization.h"

namespace sueo::landmarks {

struct TensorInfo {
  std::string name;
  std::vector<int> shape;  // NHWC, batch 1 (e.g. {1, 224, 224, 3}, {1, 63})
  size_t elements() const;
};

// The arithmetic a model's runtimes use. kBf16: oneDNN with bf16 weights and activations, f32
// accumulation and f32 heads (about 1.8x faster than kF32 on the landmark models; landmarks within a
// few crop pixels, tests/unit/landmarks/bf16_test.cpp).
enum class Precision { kF32, kBf16 };
// Whether this CPU runs kBf16 natively (AVX512_BF16 or AMX); without it kBf16 is refused, never emulated.
bool bf16_available();

namespace detail {
struct Graph;  // the parsed, folded graph (tflite_reader.h)
}

class Model {
 public:
  // Reads and checks the .tflite file, folds fp16 DEQUANTIZE and DENSIFY into float weights and
  // prunes operators that feed no kept output. Throws std::runtime_error naming the file and the
  // problem (not a TFL3 flatbuffer, truncated, unknown op "NAME" at operator i, unsupported
  // layout/type/option ...).
  // `outputs`: names of the model outputs to keep, in the order given (e.g. drop pose segmentation);
  // empty = all outputs in the model's order. An unknown name throws.
  // `int8`: activation ranges from calibration (quantization.h): runtimes of this model run its QS8
  // variant (inputs and outputs stay float). A tensor without a range throws here.
  // `precision` kBf16 (not with int8): throws when this CPU lacks native bf16 (AVX512_BF16) — oneDNN
  // would emulate it, slower than f32 — or an operator has no oneDNN mapping.
  static std::shared_ptr<const Model> load(const std::string& path,
                                           const std::vector<std::string>& outputs = {},
                                           std::shared_ptr<const ActivationRanges> int8 = nullptr,
                                           Precision precision = Precision::kF32);

  const std::vector<TensorInfo>& inputs() const { return inputs_; }
  const std::vector<TensorInfo>& outputs() const { return outputs_; }
  const std::string& path() const { return path_; }
  // Index of the input/output called `name`; throws std::out_of_range naming it when absent.
  size_t input_index(const std::string& name) const;
  size_t output_index(const std::string& name) const;

  // The parsed graph (engine internals and the tests' reference interpreter).
  const detail::Graph& graph() const { return *graph_; }
  // The int8 activation ranges, or null for the float model.
  const ActivationRanges* int8_ranges() const { return int8_.get(); }
  Precision precision() const { return precision_; }

  // use load()
  Model(std::string path, std::shared_ptr<const detail::Graph> graph, std::shared_ptr<const ActivationRanges> int8,
        Precision precision = Precision::kF32);

 private:
  std::string path_;
  std::shared_ptr<const detail::Graph> graph_;
  std::shared_ptr<const ActivationRanges> int8_;
  Precision precision_;
  std::vector<TensorInfo> inputs_;
  std::vector<TensorInfo> outputs_;
};

class Runtime {
 public:
  // Builds the XNNPACK subgraph and runtime, or for a kBf16 model the oneDNN primitives. `threads`
  // <= 1: no thread pool (the default: the server parallelises across sessions, not inside a model);
  // oneDNN runs on `threads` OpenMP threads of the caller (1: the calling thread alone). Throws
  // std::runtime_error on engine failure.
  explicit Runtime(std::shared_ptr<const Model> model, int threads = 1);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  float* input(size_t i);               // fill before run(); size = model().inputs()[i].elements()
  void run();                           // throws std::runtime_error on XNNPACK failure
  const float* output(size_t i) const;  // valid until the next run()
  size_t output_size(size_t i) const;   // element count
  const Model& model() const { return *model_; }
  // Called at the start of every run() with the filled inputs (calibration and benches collect real
  // inputs this way). Empty = none.
  void set_run_hook(std::function<void(const Runtime&)> hook) { hook_ = std::move(hook); }
  const float* input(size_t i) const;

 private:
  struct Impl;
  std::shared_ptr<const Model> model_;
  std::unique_ptr<Impl> impl_;
  std::function<void(const Runtime&)> hook_;
};

}  // namespace sueo::landmarks
