// Reads a .tflite flatbuffer into a Graph: tensors with their constant data, then operators; folds
// DEQUANTIZE/DENSIFY of constants (the MediaPipe models store every weight as fp16, some sparse, behind
// them), prunes what feeds no kept output, and maps the rest onto OpKind with their options.
#include "landmarks/tflite_reader.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "landmarks/flatbuffer_access.h"
#include "landmarks/tflite_internal.h"
#include "landmarks/tflite_schema.h"

namespace sueo::landmarks::detail {
namespace {

using Table = FlatbufferAccess::Table;

[[noreturn]] void fail(const std::string& message) { throw std::runtime_error(message); }

// An operator as stored, before folding and option decoding.
struct RawOperator {
  int32_t code = 0;
  std::string custom;
  const Table* options = nullptr;
  std::vector<int> inputs;
  std::vector<int> outputs;
  bool folded = false;
};

// IEEE binary16 → binary32: exponent bias 15 → 127 (hence +112), subnormals renormalised.
float half_to_float(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t bits = 0;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);  // inf / NaN
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa != 0) {  // subnormal: renormalise
    int e = -1;
    do {
      ++e;
      mantissa <<= 1;
    } while ((mantissa & 0x400u) == 0);
    bits = sign | (static_cast<uint32_t>(112 - e) << 23) | ((mantissa & 0x3ffu) << 13);
  } else {
    bits = sign;
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// The stored elements of a constant, widened to float (FLOAT32/FLOAT16) or int32.
void decode_constant(std::span<const uint8_t> data, Tensor& t) {
  if (t.type == tfl::kFloat32) {
    t.values.resize(data.size() / 4);
    if (!t.values.empty()) std::memcpy(t.values.data(), data.data(), t.values.size() * 4);  // empty: data() may be null
  } else if (t.type == tfl::kFloat16) {
    t.values.resize(data.size() / 2);
    for (size_t i = 0; i < t.values.size(); ++i) {
      uint16_t h;
      std::memcpy(&h, data.data() + 2 * i, 2);
      t.values[i] = half_to_float(h);
    }
  } else if (t.type == tfl::kInt32) {
    t.ints.resize(data.size() / 4);
    if (!t.ints.empty()) std::memcpy(t.ints.data(), data.data(), t.ints.size() * 4);
  } else {
    fail("constant tensor \"" + t.name + "\" has unsupported type " + std::to_string(t.type) +
         " (only FLOAT32, FLOAT16, INT32)");
  }
}

Tensor read_tensor(FlatbufferAccess& fb, const Table* t, const std::vector<const Table*>& buffers) {
  Tensor tensor;
  tensor.name = fb.string(t, tfl::kTensorName);
  tensor.shape = fb.vector<int32_t>(t, tfl::kTensorShape);
  tensor.type = fb.scalar<int8_t>(t, tfl::kTensorType, tfl::kFloat32);
  // A corrupt shape must not turn into a giant allocation: the largest MediaPipe tensor has 2^21 elements.
  constexpr size_t kMaxElements = size_t{1} << 28;
  size_t elements = 1;
  for (int d : tensor.shape) {
    if (d < 0)
      fail("tensor \"" + tensor.name + "\" has a dynamic shape (dimension " + std::to_string(d) + ")");
    elements *= static_cast<size_t>(std::max(d, 1));
    if (elements > kMaxElements) fail("tensor \"" + tensor.name + "\" is implausibly large");
  }
  if (tensor.shape.size() > 6) fail("tensor \"" + tensor.name + "\" has more than 6 dimensions");
  const auto buffer = fb.scalar<uint32_t>(t, tfl::kTensorBuffer, 0);
  if (buffer >= buffers.size()) fail("tensor \"" + tensor.name + "\" refers to a missing buffer");
  if (fb.scalar<uint64_t>(buffers[buffer], tfl::kBufferOffset, 0) > 1)
    fail("tensor \"" + tensor.name + "\" is stored outside the flatbuffer (>2 GB models are not supported)");
  const auto data = fb.bytes(buffers[buffer], tfl::kBufferData);
  if (data.empty()) return tensor;
  tensor.is_constant = true;
  decode_constant(data, tensor);
  if (const Table* sparsity = fb.table(t, tfl::kTensorSparsity)) {
    densify_constant(fb, sparsity, tensor);
  } else if (std::max(tensor.values.size(), tensor.ints.size()) != tensor.elements()) {
    fail("constant tensor \"" + tensor.name + "\" holds " + std::to_string(data.size()) + " bytes for " +
         std::to_string(tensor.elements()) + " elements");
  }
  return tensor;
}

RawOperator read_operator(FlatbufferAccess& fb, const Table* op,
                          const std::vector<std::pair<int32_t, std::string>>& codes, size_t tensor_count,
                          int index) {
  RawOperator raw;
  const auto code_index = fb.scalar<uint32_t>(op, tfl::kOperatorOpcodeIndex, 0);
  if (code_index >= codes.size()) fail("operator " + std::to_string(index) + " has a bad opcode index");
  raw.code = codes[code_index].first;
  raw.custom = codes[code_index].second;
  raw.inputs = fb.vector<int32_t>(op, tfl::kOperatorInputs);
  raw.outputs = fb.vector<int32_t>(op, tfl::kOperatorOutputs);
  raw.options = fb.table(op, tfl::kOperatorBuiltinOptions);
  for (int t : raw.inputs)
    if (t < -1 || t >= static_cast<int>(tensor_count))
      fail("operator " + std::to_string(index) + " has a bad input");
  for (int t : raw.outputs)
    if (t < 0 || t >= static_cast<int>(tensor_count))
      fail("operator " + std::to_string(index) + " has a bad output");
  return raw;
}

// DEQUANTIZE and DENSIFY of a constant are constants: fold them so no runtime ever sees them.
void fold_constants(std::vector<RawOperator>& ops, std::vector<Tensor>& tensors) {
  for (auto& op : ops) {
    if (op.code != tfl::kDequantize && op.code != tfl::kDensify) continue;
    if (op.inputs.size() != 1 || op.outputs.size() != 1) continue;
    const Tensor& in = tensors[static_cast<size_t>(op.inputs[0])];
    if (!in.is_constant || in.values.empty()) continue;  // left for op mapping to reject
    Tensor& out = tensors[static_cast<size_t>(op.outputs[0])];
    if (out.elements() != in.values.size())
      fail("cannot fold " + std::string(tfl::builtin_name(op.code)) + " into \"" + out.name +
           "\": size mismatch");
    out.values = in.values;
    out.is_constant = true;
    op.folded = true;
  }
}

std::vector<int> select_outputs(const std::vector<int>& model_outputs, const std::vector<Tensor>& tensors,
                                const std::vector<std::string>& keep) {
  if (keep.empty()) return model_outputs;
  std::vector<int> selected;
  for (const auto& name : keep) {
    auto it = std::find_if(model_outputs.begin(), model_outputs.end(),
                           [&](int t) { return tensors[static_cast<size_t>(t)].name == name; });
    if (it == model_outputs.end()) {
      std::string names;
      for (int t : model_outputs) names += (names.empty() ? "" : ", ") + tensors[static_cast<size_t>(t)].name;
      fail("no output named \"" + name + "\" (outputs: " + names + ")");
    }
    selected.push_back(*it);
  }
  return selected;
}

// Indices of the operators some kept output depends on, in execution order.
std::vector<size_t> live_operators(const std::vector<RawOperator>& ops, const std::vector<Tensor>& tensors,
                                   const std::vector<int>& outputs) {
  std::vector<bool> needed(tensors.size(), false);
  for (int t : outputs) needed[static_cast<size_t>(t)] = true;
  std::vector<size_t> live;
  for (size_t i = ops.size(); i-- > 0;) {
    const auto& op = ops[i];
    if (op.folded) continue;
    if (std::none_of(op.outputs.begin(), op.outputs.end(),
                     [&](int t) { return needed[static_cast<size_t>(t)]; }))
      continue;
    live.push_back(i);
    for (int t : op.inputs)
      if (t >= 0 && !tensors[static_cast<size_t>(t)].is_constant) needed[static_cast<size_t>(t)] = true;
  }
  std::reverse(live.begin(), live.end());
  return live;
}

// Every activation is float32 and written before it is read.
void check_dataflow(const Graph& g) {
  std::vector<bool> ready(g.tensors.size(), false);
  for (int t : g.inputs) ready[static_cast<size_t>(t)] = true;
  auto where = [](const Operator& op) {
    return std::string(op_name(op.kind)) + " at operator " + std::to_string(op.index);
  };
  for (const auto& op : g.operators) {
    for (int t : op.inputs) {
      if (t < 0) continue;
      const auto& tensor = g.tensors[static_cast<size_t>(t)];
      if (tensor.is_constant) continue;
      if (tensor.type != tfl::kFloat32) fail(where(op) + ": input \"" + tensor.name + "\" is not float32");
      if (!ready[static_cast<size_t>(t)])
        fail(where(op) + ": input \"" + tensor.name + "\" is never computed");
    }
    for (int t : op.outputs) {
      const auto& tensor = g.tensors[static_cast<size_t>(t)];
      if (tensor.type != tfl::kFloat32) fail(where(op) + ": output \"" + tensor.name + "\" is not float32");
      ready[static_cast<size_t>(t)] = true;
    }
  }
  for (int t : g.outputs)
    if (!ready[static_cast<size_t>(t)])
      fail("output \"" + g.tensors[static_cast<size_t>(t)].name + "\" is never computed");
}

}  // namespace

size_t Tensor::elements() const {
  size_t n = 1;
  for (int d : shape) n *= static_cast<size_t>(d);
  return n;
}

Graph parse_tflite(std::span<const uint8_t> bytes, const std::vector<std::string>& keep_outputs) {
  if (bytes.size() < 8 || std::memcmp(bytes.data() + 4, "TFL3", 4) != 0)
    fail("not a TensorFlow Lite model (no TFL3 identifier)");
  FlatbufferAccess fb(bytes);
  const Table* model = fb.root("TFL3");
  std::vector<std::pair<int32_t, std::string>> codes;
  for (const Table* c : fb.tables(model, tfl::kModelOperatorCodes)) {
    // Codes above 127 live only in builtin_code; older files only have the byte. TFLite takes the max.
    const int32_t code = std::max<int32_t>(fb.scalar<int8_t>(c, tfl::kOpCodeDeprecatedBuiltin, 0),
                                           fb.scalar<int32_t>(c, tfl::kOpCodeBuiltin, 0));
    codes.emplace_back(code, fb.string(c, tfl::kOpCodeCustom));
  }
  const auto subgraphs = fb.tables(model, tfl::kModelSubgraphs);
  if (subgraphs.size() != 1)
    fail("has " + std::to_string(subgraphs.size()) + " subgraphs (only 1 is supported)");
  const auto buffers = fb.tables(model, tfl::kModelBuffers);
  const Table* sg = subgraphs[0];

  Graph g;
  for (const Table* t : fb.tables(sg, tfl::kSubGraphTensors))
    g.tensors.push_back(read_tensor(fb, t, buffers));
  std::vector<RawOperator> raw;
  const auto op_tables = fb.tables(sg, tfl::kSubGraphOperators);
  for (size_t i = 0; i < op_tables.size(); ++i)
    raw.push_back(read_operator(fb, op_tables[i], codes, g.tensors.size(), static_cast<int>(i)));
  g.inputs = fb.vector<int32_t>(sg, tfl::kSubGraphInputs);
  const auto model_outputs = fb.vector<int32_t>(sg, tfl::kSubGraphOutputs);
  for (int t : g.inputs)
    if (t < 0 || t >= static_cast<int>(g.tensors.size())) fail("bad subgraph input index");
  for (int t : model_outputs)
    if (t < 0 || t >= static_cast<int>(g.tensors.size())) fail("bad subgraph output index");

  fold_constants(raw, g.tensors);
  g.outputs = select_outputs(model_outputs, g.tensors, keep_outputs);
  for (size_t i : live_operators(raw, g.tensors, g.outputs)) {
    Operator op = map_operator(fb, raw[i].code, raw[i].custom, raw[i].options, static_cast<int>(i));
    if (raw[i].outputs.size() != 1)
      fail(std::string(op_name(op.kind)) + " at operator " + std::to_string(i) + " has " +
           std::to_string(raw[i].outputs.size()) + " outputs (1 expected)");
    op.inputs = raw[i].inputs;
    op.outputs = raw[i].outputs;
    g.operators.push_back(std::move(op));
  }
  check_dataflow(g);
  return g;
}

Graph read_tflite(const std::string& path, const std::vector<std::string>& keep_outputs) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error(path + ": cannot open");
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  try {
    return parse_tflite(bytes, keep_outputs);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

}  // namespace sueo::landmarks::detail
