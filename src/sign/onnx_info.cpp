#include "sign/onnx_info.h"

#include <algorithm>
#include <functional>
#include <set>

namespace sueo::sign {
namespace {

// Field numbers from onnx/onnx.proto3 (github.com/onnx/onnx, the ModelProto family).
constexpr uint32_t kModelIrVersion = 1, kModelProducer = 2, kModelGraph = 7, kModelOpset = 8,
                   kModelMetadata = 14;
constexpr uint32_t kOpsetDomain = 1, kOpsetVersion = 2;
constexpr uint32_t kEntryKey = 1, kEntryValue = 2;
constexpr uint32_t kGraphNode = 1, kGraphInitializer = 5, kGraphInput = 11, kGraphOutput = 12;
constexpr uint32_t kNodeOpType = 4;
constexpr uint32_t kTensorName = 8;
constexpr uint32_t kValueInfoName = 1, kValueInfoType = 2;
constexpr uint32_t kTypeTensor = 1, kTensorTypeElem = 1, kTensorTypeShape = 2;
constexpr uint32_t kShapeDim = 1, kDimValue = 1;

// One protobuf field: number, wire type and payload (varint value or bytes).
struct Field {
  uint32_t number = 0;
  uint32_t wire = 0;
  uint64_t varint = 0;
  std::string_view bytes;
};

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }

  Field next() {
    Field field;
    const uint64_t key = varint();
    field.number = static_cast<uint32_t>(key >> 3);
    field.wire = static_cast<uint32_t>(key & 7);
    if (field.number == 0) throw OnnxParseError("field number 0");
    switch (field.wire) {
      case 0:
        field.varint = varint();
        break;
      case 1:
        field.bytes = take(8);
        break;
      case 2:
        field.bytes = take(varint());
        break;
      case 5:
        field.bytes = take(4);
        break;
      default:
        throw OnnxParseError("unsupported protobuf wire type " + std::to_string(field.wire));
    }
    return field;
  }

 private:
  uint64_t varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) throw OnnxParseError("truncated varint");
      const auto byte = static_cast<uint8_t>(data_[pos_++]);
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    throw OnnxParseError("varint longer than 10 bytes");
  }
  std::string_view take(uint64_t size) {
    if (size > data_.size() - pos_) throw OnnxParseError("field runs past the end of the data");
    const std::string_view out = data_.substr(pos_, size);
    pos_ += size;
    return out;
  }

  std::string_view data_;
  size_t pos_ = 0;
};

void for_each_field(std::string_view message, const std::function<void(const Field&)>& visit) {
  Reader reader(message);
  while (!reader.done()) visit(reader.next());
}

OnnxTensorInfo parse_value_info(std::string_view message) {
  OnnxTensorInfo info;
  for_each_field(message, [&](const Field& f) {
    if (f.number == kValueInfoName && f.wire == 2) info.name = std::string(f.bytes);
    if (f.number != kValueInfoType || f.wire != 2) return;
    for_each_field(f.bytes, [&](const Field& type) {
      if (type.number != kTypeTensor || type.wire != 2) return;
      for_each_field(type.bytes, [&](const Field& tensor) {
        if (tensor.number == kTensorTypeElem && tensor.wire == 0)
          info.elem_type = static_cast<int32_t>(tensor.varint);
        if (tensor.number != kTensorTypeShape || tensor.wire != 2) return;
        info.has_shape = true;
        for_each_field(tensor.bytes, [&](const Field& dim) {
          if (dim.number != kShapeDim || dim.wire != 2) return;
          std::optional<int64_t> size;
          for_each_field(dim.bytes, [&](const Field& d) {
            if (d.number == kDimValue && d.wire == 0) size = static_cast<int64_t>(d.varint);
          });
          info.dims.push_back(size);
        });
      });
    });
  });
  return info;
}

void parse_graph(std::string_view graph, OnnxInfo& info) {
  std::set<std::string> initializers;
  std::set<std::string> operators;
  std::vector<OnnxTensorInfo> inputs;
  for_each_field(graph, [&](const Field& f) {
    if (f.wire != 2) return;
    if (f.number == kGraphInitializer) {
      for_each_field(f.bytes, [&](const Field& t) {
        if (t.number == kTensorName && t.wire == 2) initializers.insert(std::string(t.bytes));
      });
    } else if (f.number == kGraphNode) {
      for_each_field(f.bytes, [&](const Field& n) {
        if (n.number == kNodeOpType && n.wire == 2) operators.insert(std::string(n.bytes));
      });
    } else if (f.number == kGraphInput) {
      inputs.push_back(parse_value_info(f.bytes));
    } else if (f.number == kGraphOutput) {
      info.outputs.push_back(parse_value_info(f.bytes));
    }
  });
  // Before IR version 4 initializers were also listed as graph inputs; they are weights, not inputs.
  for (auto& input : inputs) {
    if (!initializers.count(input.name)) info.inputs.push_back(std::move(input));
  }
  info.operators.assign(operators.begin(), operators.end());
}

}  // namespace

OnnxInfo parse_onnx_info(std::string_view bytes) {
  OnnxInfo info;
  bool has_graph = false;
  try {
    for_each_field(bytes, [&](const Field& f) {
      if (f.number == kModelIrVersion && f.wire == 0) info.ir_version = static_cast<int64_t>(f.varint);
      if (f.wire != 2) return;
      if (f.number == kModelProducer) info.producer = std::string(f.bytes);
      if (f.number == kModelGraph) {
        has_graph = true;
        parse_graph(f.bytes, info);
      }
      if (f.number == kModelOpset) {
        std::string domain;
        int64_t version = 0;
        for_each_field(f.bytes, [&](const Field& o) {
          if (o.number == kOpsetDomain && o.wire == 2) domain = std::string(o.bytes);
          if (o.number == kOpsetVersion && o.wire == 0) version = static_cast<int64_t>(o.varint);
        });
        info.opsets[domain] = version;
      }
      if (f.number == kModelMetadata) {
        std::string key, value;
        for_each_field(f.bytes, [&](const Field& e) {
          if (e.number == kEntryKey && e.wire == 2) key = std::string(e.bytes);
          if (e.number == kEntryValue && e.wire == 2) value = std::string(e.bytes);
        });
        info.metadata[key] = value;
      }
    });
  } catch (const OnnxParseError& error) {
    throw OnnxParseError(std::string("not an ONNX model (protobuf: ") + error.what() + ")");
  }
  if (info.ir_version <= 0 || !has_graph) {
    throw OnnxParseError("not an ONNX model (no ir_version or no graph)");
  }
  return info;
}

std::string describe_dims(const OnnxTensorInfo& tensor) {
  if (!tensor.has_shape) return "[unknown shape]";
  std::string out = "[";
  for (size_t i = 0; i < tensor.dims.size(); ++i) {
    if (i) out += ", ";
    out += tensor.dims[i] ? std::to_string(*tensor.dims[i]) : std::string("?");
  }
  return out + "]";
}

}  // namespace sueo::sign
