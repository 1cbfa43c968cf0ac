// The .tflite reader on tiny models built here with FlatBufferBuilder, where every answer is known by
// hand: fp16 widening (normal and subnormal), a CSR-sparse constant behind DENSIFY → DEQUANTIZE, fused
// activations, and the errors for a non-float activation and a custom op. Then the same model through
// XNNPACK, end to end.
#include "landmarks/tflite_reader.h"

#include <flatbuffers/flatbuffers.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>

#include "landmarks/model.h"
#include "landmarks/tflite_schema.h"

namespace sueo::landmarks {
namespace {

namespace tfl = detail::tfl;
using Offset = flatbuffers::Offset<flatbuffers::Table>;

// Options of the one test model: y = conv1x1(x, W) + b, W sparse fp16, b fp16.
struct TinyOptions {
  int8_t input_type = tfl::kFloat32;
  int8_t activation = tfl::kNone;
  bool custom_op = false;  // replace CONV_2D by CUSTOM "Foo"
};

class TinyModel {
 public:
  explicit TinyModel(const TinyOptions& o) {
    b_.ForceDefaults(true);
    // Buffers: 0 empty, 1 the sparse weights' stored values, 2 the bias (fp16 bit patterns).
    const std::vector<uint16_t> w_values = {0x3E00, 0xC000, 0x3400};  // 1.5, -2, 0.25
    const std::vector<uint16_t> b_values = {0x3800, 0x0200};          // 0.5, 2^-15 (subnormal)
    std::vector<Offset> buffers = {buffer({}), buffer(bytes(w_values)), buffer(bytes(b_values))};

    std::vector<Offset> tensors = {tensor("x", {1, 1, 1, 4}, o.input_type, 0),
                                   tensor("w_sparse", {2, 1, 1, 4}, tfl::kFloat16, 1, sparsity()),
                                   tensor("w_f16", {2, 1, 1, 4}, tfl::kFloat16, 0),
                                   tensor("w", {2, 1, 1, 4}, tfl::kFloat32, 0),
                                   tensor("b_f16", {2}, tfl::kFloat16, 2),
                                   tensor("b", {2}, tfl::kFloat32, 0),
                                   tensor("y", {1, 1, 1, 2}, tfl::kFloat32, 0)};
    std::vector<Offset> ops = {op(0, {1}, {2}), op(1, {2}, {3}), op(1, {4}, {5}),
                               op(2, {0, 3, 5}, {6}, conv_options(o.activation))};
    std::vector<Offset> codes = {opcode(tfl::kDensify), opcode(tfl::kDequantize),
                                 o.custom_op ? opcode(tfl::kCustom, "Foo") : opcode(tfl::kConv2d)};

    const auto tv = b_.CreateVector(tensors);
    const auto iv = b_.CreateVector(std::vector<int32_t>{0});
    const auto ov = b_.CreateVector(std::vector<int32_t>{6});
    const auto opv = b_.CreateVector(ops);
    auto s = b_.StartTable();
    b_.AddOffset(tfl::kSubGraphTensors, tv);
    b_.AddOffset(tfl::kSubGraphInputs, iv);
    b_.AddOffset(tfl::kSubGraphOutputs, ov);
    b_.AddOffset(tfl::kSubGraphOperators, opv);
    const Offset subgraph(b_.EndTable(s));

    const auto cv = b_.CreateVector(codes);
    const auto sv = b_.CreateVector(std::vector<Offset>{subgraph});
    const auto bv = b_.CreateVector(buffers);
    s = b_.StartTable();
    b_.AddElement<uint32_t>(tfl::slot(0), 3, 0);  // version
    b_.AddOffset(tfl::kModelOperatorCodes, cv);
    b_.AddOffset(tfl::kModelSubgraphs, sv);
    b_.AddOffset(tfl::kModelBuffers, bv);
    b_.Finish(Offset(b_.EndTable(s)), "TFL3");
  }

  std::span<const uint8_t> bytes() const { return {b_.GetBufferPointer(), b_.GetSize()}; }

 private:
  static std::vector<uint8_t> bytes(const std::vector<uint16_t>& v) {
    std::vector<uint8_t> out(v.size() * 2);
    std::memcpy(out.data(), v.data(), out.size());
    return out;
  }
  Offset buffer(const std::vector<uint8_t>& data) {
    const auto d = b_.CreateVector(data);
    const auto s = b_.StartTable();
    if (!data.empty()) b_.AddOffset(tfl::kBufferData, d);
    return Offset(b_.EndTable(s));
  }
  // W = [[1.5, 0, 0, -2], [0, 0.25, 0, 0]] as [2,1,1,4]: dims 0..2 dense, dim 3 CSR.
  Offset sparsity() {
    std::vector<Offset> dims;
    for (int size : {2, 1, 1}) {
      const auto s = b_.StartTable();
      b_.AddElement<int8_t>(tfl::kDimFormat, tfl::kDense, 0);
      b_.AddElement<int32_t>(tfl::kDimDenseSize, size, 0);
      dims.push_back(Offset(b_.EndTable(s)));
    }
    const auto seg = index_vector({0, 2, 3}), idx = index_vector({0, 3, 1});
    auto s = b_.StartTable();
    b_.AddElement<int8_t>(tfl::kDimFormat, tfl::kSparseCsr, 0);
    b_.AddElement<uint8_t>(tfl::kDimSegmentsType, tfl::kInt32Vector, 0);
    b_.AddOffset(tfl::kDimSegments, seg);
    b_.AddElement<uint8_t>(tfl::kDimIndicesType, tfl::kInt32Vector, 0);
    b_.AddOffset(tfl::kDimIndices, idx);
    dims.push_back(Offset(b_.EndTable(s)));
    const auto order = b_.CreateVector(std::vector<int32_t>{0, 1, 2, 3});
    const auto dv = b_.CreateVector(dims);
    s = b_.StartTable();
    b_.AddOffset(tfl::kSparsityTraversalOrder, order);
    b_.AddOffset(tfl::kSparsityDimMetadata, dv);
    return Offset(b_.EndTable(s));
  }
  Offset index_vector(const std::vector<int32_t>& values) {
    const auto v = b_.CreateVector(values);
    const auto s = b_.StartTable();
    b_.AddOffset(tfl::kIndexVectorValues, v);
    return Offset(b_.EndTable(s));
  }
  Offset tensor(const std::string& name, const std::vector<int32_t>& shape, int8_t type, uint32_t buffer,
                Offset sparsity = Offset()) {
    const auto n = b_.CreateString(name);
    const auto sh = b_.CreateVector(shape);
    const auto s = b_.StartTable();
    b_.AddOffset(tfl::kTensorShape, sh);
    b_.AddElement<int8_t>(tfl::kTensorType, type, 0);
    b_.AddElement<uint32_t>(tfl::kTensorBuffer, buffer, 0);
    b_.AddOffset(tfl::kTensorName, n);
    if (!sparsity.IsNull()) b_.AddOffset(tfl::kTensorSparsity, sparsity);
    return Offset(b_.EndTable(s));
  }
  Offset conv_options(int8_t activation) {  // Conv2DOptions: VALID, stride 1, activation
    const auto s = b_.StartTable();
    b_.AddElement<int8_t>(tfl::slot(0), tfl::kValid, 0);
    b_.AddElement<int32_t>(tfl::slot(1), 1, 0);
    b_.AddElement<int32_t>(tfl::slot(2), 1, 0);
    b_.AddElement<int8_t>(tfl::slot(3), activation, 0);
    return Offset(b_.EndTable(s));
  }
  Offset op(uint32_t code, const std::vector<int32_t>& in, const std::vector<int32_t>& out,
            Offset options = Offset()) {
    const auto iv = b_.CreateVector(in), ov = b_.CreateVector(out);
    const auto s = b_.StartTable();
    b_.AddElement<uint32_t>(tfl::kOperatorOpcodeIndex, code, 0);
    b_.AddOffset(tfl::kOperatorInputs, iv);
    b_.AddOffset(tfl::kOperatorOutputs, ov);
    if (!options.IsNull()) {
      b_.AddElement<uint8_t>(tfl::slot(3), 1, 0);  // builtin_options_type = Conv2DOptions
      b_.AddOffset(tfl::kOperatorBuiltinOptions, options);
    }
    return Offset(b_.EndTable(s));
  }
  Offset opcode(int32_t code, const std::string& custom = "") {
    const auto c = b_.CreateString(custom);
    const auto s = b_.StartTable();
    b_.AddElement<int8_t>(tfl::kOpCodeDeprecatedBuiltin, static_cast<int8_t>(code), 0);
    if (!custom.empty()) b_.AddOffset(tfl::kOpCodeCustom, c);
    b_.AddElement<int32_t>(tfl::kOpCodeBuiltin, code, 0);
    return Offset(b_.EndTable(s));
  }

  flatbuffers::FlatBufferBuilder b_;
};

std::string parse_error(const TinyOptions& o) {
  TinyModel m(o);
  try {
    detail::parse_tflite(m.bytes(), {});
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(TfliteReader, FoldsSparseFp16WeightsToKnownValues) {
  TinyModel m({});
  const auto g = detail::parse_tflite(m.bytes(), {});
  ASSERT_EQ(g.operators.size(), 1u);  // DENSIFY and both DEQUANTIZE folded away
  EXPECT_EQ(g.operators[0].kind, detail::OpKind::kConv2d);
  EXPECT_FALSE(g.operators[0].same_padding);
  const auto& w = g.tensors[static_cast<size_t>(g.operators[0].inputs[1])];
  EXPECT_EQ(w.values, (std::vector<float>{1.5f, 0, 0, -2.0f, 0, 0.25f, 0, 0}));
  const auto& bias = g.tensors[static_cast<size_t>(g.operators[0].inputs[2])];
  EXPECT_EQ(bias.values, (std::vector<float>{0.5f, 3.0517578125e-05f}));
}

TEST(TfliteReader, FusedActivationBecomesTheOutputClamp) {
  TinyModel m({.activation = tfl::kRelu6});
  const auto g = detail::parse_tflite(m.bytes(), {});
  EXPECT_EQ(g.operators[0].out_min, 0.0f);
  EXPECT_EQ(g.operators[0].out_max, 6.0f);
}

TEST(TfliteReader, NonFloatActivationIsRejected) {
  EXPECT_EQ(parse_error({.input_type = 9}), "CONV_2D at operator 3: input \"x\" is not float32");
}

TEST(TfliteReader, CustomOpIsNamed) {
  EXPECT_EQ(parse_error({.custom_op = true}), "unknown op \"CUSTOM:Foo\" at operator 3");
}

TEST(TfliteReader, TinyModelRunsOnXnnpack) {
  for (const auto activation : {tfl::kNone, tfl::kRelu}) {
    TinyModel m({.activation = activation});
    const std::string path = ::testing::TempDir() + "sueo_tiny.tflite";
    {
      std::ofstream f(path, std::ios::binary);
      f.write(reinterpret_cast<const char*>(m.bytes().data()),
              static_cast<std::streamsize>(m.bytes().size()));
    }
    auto model = Model::load(path);
    Runtime r(model);
    const float x[4] = {1, 2, 3, 4};
    std::memcpy(r.input(0), x, sizeof x);
    r.run();
    ASSERT_EQ(r.output_size(0), 2u);
    // y0 = 1.5*1 - 2*4 + 0.5 = -6 (0 after RELU); y1 = 0.25*2 + 2^-15.
    EXPECT_EQ(r.output(0)[0], activation == tfl::kRelu ? 0.0f : -6.0f);
    EXPECT_FLOAT_EQ(r.output(0)[1], 0.5f + 3.0517578125e-05f);
    std::remove(path.c_str());
  }
}

}  // namespace
}  // namespace sueo::landmarks
