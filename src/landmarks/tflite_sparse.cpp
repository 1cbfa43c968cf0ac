// Densifies a sparse constant at load time (pose_detection stores 38 of its 1x1 kernels sparse, behind
// DENSIFY). Format (schema.fbs, "Sparse tensors"): the dense dims d0..dn-1, plus k block dims, are
// visited in traversal_order; each visited dim is DENSE (dense_size coordinates) or SPARSE_CSR
// (array_segments[p]..array_segments[p+1] index array_indices); the last level's position indexes the
// stored values.
#include <stdexcept>
#include <vector>

#include "landmarks/tflite_internal.h"
#include "landmarks/tflite_schema.h"

namespace sueo::landmarks::detail {
namespace {

using Table = FlatbufferAccess::Table;

struct DimLevel {
  bool sparse = false;
  int dense_size = 0;
  std::vector<int> segments;
  std::vector<int> indices;
};

std::vector<int> index_vector(FlatbufferAccess& fb, const Table* dim, tfl::Slot type_slot, tfl::Slot slot) {
  const auto type = fb.scalar<uint8_t>(dim, type_slot, 0);
  const Table* t = fb.table(dim, slot);
  if (!t) throw std::runtime_error("sparse dimension without index vector");
  auto widen = [](const auto& v) { return std::vector<int>(v.begin(), v.end()); };
  switch (type) {
    case tfl::kInt32Vector:
      return fb.vector<int32_t>(t, tfl::kIndexVectorValues);
    case tfl::kUint16Vector:
      return widen(fb.vector<uint16_t>(t, tfl::kIndexVectorValues));
    case tfl::kUint8Vector:
      return widen(fb.vector<uint8_t>(t, tfl::kIndexVectorValues));
    default:
      throw std::runtime_error("sparse index vector of unknown type " + std::to_string(type));
  }
}

class Densifier {
 public:
  Densifier(const Tensor& t, std::vector<int> order, std::vector<int> block_map, std::vector<DimLevel> levels)
      : shape_(t.shape),
        stored_(t.values),
        order_(std::move(order)),
        block_map_(std::move(block_map)),
        levels_(std::move(levels)),
        coords_(order_.size(), 0),
        dense_(t.elements(), 0.0f) {
    const size_t n = shape_.size();
    if (order_.size() != levels_.size() || order_.size() != n + block_map_.size()) bad("level counts");
    for (int d : order_)
      if (d < 0 || d >= static_cast<int>(order_.size())) bad("traversal order");
    block_size_.assign(n, 1);
    block_dim_.assign(n, -1);
    for (size_t b = 0; b < block_map_.size(); ++b) {
      const int d = block_map_[b];
      if (d < 0 || d >= static_cast<int>(n)) bad("block map");
      block_dim_[static_cast<size_t>(d)] = static_cast<int>(n + b);
      for (size_t level = 0; level < order_.size(); ++level)
        if (order_[level] == static_cast<int>(n + b))
          block_size_[static_cast<size_t>(d)] = levels_[level].dense_size;
    }
  }

  std::vector<float> run() {
    visit(0, 0);
    return std::move(dense_);
  }

 private:
  [[noreturn]] static void bad(const char* what) {
    throw std::runtime_error(std::string("bad sparsity: ") + what);
  }

  void visit(size_t level, size_t position) {
    if (level == levels_.size()) return store(position);
    const DimLevel& l = levels_[level];
    const auto dim = static_cast<size_t>(order_[level]);
    if (!l.sparse) {
      for (int i = 0; i < l.dense_size; ++i) {
        coords_[dim] = i;
        visit(level + 1, position * static_cast<size_t>(l.dense_size) + static_cast<size_t>(i));
      }
      return;
    }
    if (position + 1 >= l.segments.size()) bad("segment index");
    const int begin = l.segments[position], end = l.segments[position + 1];
    if (begin < 0 || end < begin || static_cast<size_t>(end) > l.indices.size()) bad("segments");
    for (int j = begin; j < end; ++j) {
      coords_[dim] = l.indices[static_cast<size_t>(j)];
      visit(level + 1, static_cast<size_t>(j));
    }
  }

  void store(size_t position) {
    if (position >= stored_.size()) bad("value index");
    size_t linear = 0;
    for (size_t d = 0; d < shape_.size(); ++d) {
      int c = coords_[d];
      if (block_dim_[d] >= 0) c = c * block_size_[d] + coords_[static_cast<size_t>(block_dim_[d])];
      if (c < 0 || c >= shape_[d]) bad("coordinate");
      linear = linear * static_cast<size_t>(shape_[d]) + static_cast<size_t>(c);
    }
    dense_[linear] = stored_[position];
  }

  const std::vector<int>& shape_;
  const std::vector<float>& stored_;
  std::vector<int> order_, block_map_;
  std::vector<DimLevel> levels_;
  std::vector<int> coords_, block_size_, block_dim_;
  std::vector<float> dense_;
};

}  // namespace

void densify_constant(FlatbufferAccess& fb, const Table* sparsity, Tensor& tensor) {
  if (tensor.values.empty()) throw std::runtime_error("sparse tensor \"" + tensor.name + "\" is not float");
  std::vector<DimLevel> levels;
  for (const Table* dim : fb.tables(sparsity, tfl::kSparsityDimMetadata)) {
    DimLevel l;
    l.sparse = fb.scalar<int8_t>(dim, tfl::kDimFormat, tfl::kDense) == tfl::kSparseCsr;
    l.dense_size = fb.scalar<int32_t>(dim, tfl::kDimDenseSize, 0);
    if (l.sparse) {
      l.segments = index_vector(fb, dim, tfl::kDimSegmentsType, tfl::kDimSegments);
      l.indices = index_vector(fb, dim, tfl::kDimIndicesType, tfl::kDimIndices);
    } else if (l.dense_size < 0) {
      throw std::runtime_error("bad sparsity: dense size");
    }
    levels.push_back(std::move(l));
  }
  try {
    Densifier d(tensor, fb.vector<int32_t>(sparsity, tfl::kSparsityTraversalOrder),
                fb.vector<int32_t>(sparsity, tfl::kSparsityBlockMap), std::move(levels));
    tensor.values = d.run();
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("tensor \"" + tensor.name + "\": " + e.what());
  }
}

}  // namespace sueo::landmarks::detail
