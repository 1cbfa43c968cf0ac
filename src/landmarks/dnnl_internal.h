// Helpers shared by dnnl_builder.cpp and dnnl_ops.cpp (the oneDNN engine's two halves). Thread: any.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <vector>

#include "landmarks/tflite_reader.h"

namespace sueo::landmarks::detail {

// The plain layout of a tflite tensor: NHWC as oneDNN dims {N, C, H, W} format nhwc; row-major below rank 4.
dnnl::memory::desc plain_desc(const std::vector<int>& shape, dnnl::memory::data_type type);
// The operator has a fused activation (a finite out_min or out_max).
bool has_clamp(const Operator& op);

}  // namespace sueo::landmarks::detail
