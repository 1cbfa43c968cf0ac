// Turns a parsed Graph into one XNNPACK subgraph (the 2022 subgraph API of Debian 12's libxnnpack).
// Engine internals. Thread: build_subgraph() may run on any thread; the Graph is only read.
#pragma once

#include <xnnpack.h>

#include <memory>
#include <vector>

#include "landmarks/tflite_reader.h"

namespace sueo::landmarks::detail {

struct XnnSubgraphDeleter {
  void operator()(xnn_subgraph_t s) const { xnn_delete_subgraph(s); }
};
using XnnSubgraph = std::unique_ptr<xnn_subgraph, XnnSubgraphDeleter>;

// Initialises XNNPACK once per process; throws std::runtime_error if the CPU is unsupported.
void ensure_xnnpack();

// Builds the subgraph of `graph`. External value ids: graph.inputs[i] → i, graph.outputs[j] →
// inputs.size() + j. Constants are referenced in place (the Graph must outlive the runtime); weights
// the builder makes itself go to `owned`, which must outlive the runtime too. Throws
// std::runtime_error "OP at operator i: ..." for a layout XNNPACK cannot run.
XnnSubgraph build_subgraph(const Graph& graph, std::vector<std::vector<float>>& owned);

}  // namespace sueo::landmarks::detail
