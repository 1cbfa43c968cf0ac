// Pieces of the .tflite reader shared between its source files. Engine internals.
#pragma once

#include <cstdint>
#include <string>

#include "landmarks/flatbuffer_access.h"
#include "landmarks/tflite_reader.h"

namespace sueo::landmarks::detail {

// Replaces the stored (sparse) elements of `tensor` by its dense values, following the tensor's
// SparsityParameters table (TACO-style: traversal order, block map, dense/CSR dimension metadata).
void densify_constant(FlatbufferAccess& fb, const FlatbufferAccess::Table* sparsity, Tensor& tensor);

// Maps one stored operator onto an Operator with its options decoded (inputs/outputs left empty).
// Throws "unknown op "NAME" at operator i" for anything outside OpKind, and names unsupported options.
Operator map_operator(FlatbufferAccess& fb, int32_t code, const std::string& custom,
                      const FlatbufferAccess::Table* options, int index);

}  // namespace sueo::landmarks::detail
