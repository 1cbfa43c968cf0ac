// What sueo needs to know about an ONNX file that OpenCV's DNN module does not expose: the model's
// metadata_props (where the labels live), the declared input/output shapes, the opsets and operators.
// Read with a small protobuf walk over the fields of onnx.proto3 we need (field numbers cited in
// onnx_info.cpp); no protobuf library.
// Thread: pure functions, any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sueo::sign {

struct OnnxTensorInfo {
  std::string name;
  int32_t elem_type = 0;  // onnx.TensorProto.DataType: 1 = FLOAT
  // One entry per dimension: a fixed size, or nullopt for a symbolic/unknown one (dim_param).
  std::vector<std::optional<int64_t>> dims;
  bool has_shape = false;
};

struct OnnxInfo {
  int64_t ir_version = 0;
  std::string producer;
  std::map<std::string, int64_t> opsets;  // domain ("" = ai.onnx) -> version
  std::map<std::string, std::string> metadata;
  std::vector<OnnxTensorInfo> inputs;  // graph inputs that are not initializers
  std::vector<OnnxTensorInfo> outputs;
  std::vector<std::string> operators;  // distinct op_type values, sorted
};

struct OnnxParseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws OnnxParseError when the bytes are not an ONNX ModelProto with a graph.
OnnxInfo parse_onnx_info(std::string_view bytes);

std::string describe_dims(const OnnxTensorInfo& tensor);  // "[1, 48, 258]", "[1, T, 258]"

}  // namespace sueo::sign
