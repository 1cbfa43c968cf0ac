// Turns a parsed Graph into one XNNPACK subgraph (the 2022 subgraph API of Debian 12's libxnnpack).
// Engine internals. Thread: build_subgraph() may run on any thread; the Graph is only read.
#pragma once

#include <xnnpack.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "landmarks/quantization.h"
#include "landmarks/tflite_reader.h"

namespace sueo::landmarks::detail {

struct XnnSubgraphDeleter {
  void operator()(xnn_subgraph_t s) const { xnn_delete_subgraph(s); }
};
using XnnSubgraph = std::unique_ptr<xnn_subgraph, XnnSubgraphDeleter>;

// Data the builder makes itself (selection kernels, int8 weights, their scales): XNNPACK keeps
// pointers to it, so it must outlive the subgraph and every runtime made from it.
struct OwnedData {
  std::vector<std::vector<float>> floats;
  std::vector<std::vector<int8_t>> int8s;
  std::vector<std::vector<int32_t>> int32s;
};

struct BuildOptions {
  // Set: the QS8 variant. Convolutions (per-channel int8 weights, int32 bias), adds, means, pads,
  // pools, resizes, reshapes and clamps run on int8 activations quantised with these ranges (by tensor
  // name); the other operators stay float, with conversions where the two meet.
  const ActivationRanges* int8 = nullptr;
  // Calibration: every activation tensor also becomes an external output, in `exposed` order.
  bool expose_all = false;
  std::vector<int>* exposed = nullptr;  // tensor indices given external ids after inputs and outputs
};

// Initialises XNNPACK once per process; throws std::runtime_error if the CPU is unsupported.
void ensure_xnnpack();

// Builds the subgraph of `graph`. External value ids: graph.inputs[i] → i, graph.outputs[j] →
// inputs.size() + j (then options.exposed, if asked). Constants are referenced in place (the Graph
// must outlive the runtime). Throws std::runtime_error "OP at operator i: ..." for a layout XNNPACK
// cannot run, or a tensor the int8 ranges do not cover.
XnnSubgraph build_subgraph(const Graph& graph, OwnedData& owned, const BuildOptions& options = {});

}  // namespace sueo::landmarks::detail
