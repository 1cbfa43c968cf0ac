// Facts from TensorFlow Lite's schema (tensorflow/lite/schema/schema.fbs): enum values and the vtable
// slot of each table field we read. A field's slot is 4 + 2 * (its position in the table); a union
// field takes two positions (its _type byte first). Written by hand: no generated code.
#pragma once

#include <cstdint>

namespace sueo::landmarks::detail::tfl {

using Slot = uint16_t;
constexpr Slot slot(int field_position) { return static_cast<Slot>(4 + 2 * field_position); }

// table Model { version, operator_codes, subgraphs, description, buffers, ... }
constexpr Slot kModelOperatorCodes = slot(1);
constexpr Slot kModelSubgraphs = slot(2);
constexpr Slot kModelBuffers = slot(4);
// table OperatorCode { deprecated_builtin_code:byte, custom_code:string, version:int, builtin_code:int }
constexpr Slot kOpCodeDeprecatedBuiltin = slot(0);
constexpr Slot kOpCodeCustom = slot(1);
constexpr Slot kOpCodeBuiltin = slot(3);
// table SubGraph { tensors, inputs, outputs, operators, name }
constexpr Slot kSubGraphTensors = slot(0);
constexpr Slot kSubGraphInputs = slot(1);
constexpr Slot kSubGraphOutputs = slot(2);
constexpr Slot kSubGraphOperators = slot(3);
// table Tensor { shape, type, buffer, name, quantization, is_variable, sparsity, ... }
constexpr Slot kTensorShape = slot(0);
constexpr Slot kTensorType = slot(1);
constexpr Slot kTensorBuffer = slot(2);
constexpr Slot kTensorName = slot(3);
constexpr Slot kTensorSparsity = slot(6);
// table Buffer { data:[ubyte], offset:ulong, size:ulong }
constexpr Slot kBufferData = slot(0);
constexpr Slot kBufferOffset = slot(1);
// table Operator { opcode_index, inputs, outputs, builtin_options (union: _type, value), ... }
constexpr Slot kOperatorOpcodeIndex = slot(0);
constexpr Slot kOperatorInputs = slot(1);
constexpr Slot kOperatorOutputs = slot(2);
constexpr Slot kOperatorBuiltinOptions = slot(4);
// table SparsityParameters { traversal_order, block_map, dim_metadata }
constexpr Slot kSparsityTraversalOrder = slot(0);
constexpr Slot kSparsityBlockMap = slot(1);
constexpr Slot kSparsityDimMetadata = slot(2);
// table DimensionMetadata { format, dense_size, array_segments (union), array_indices (union) }
constexpr Slot kDimFormat = slot(0);
constexpr Slot kDimDenseSize = slot(1);
constexpr Slot kDimSegmentsType = slot(2);
constexpr Slot kDimSegments = slot(3);
constexpr Slot kDimIndicesType = slot(4);
constexpr Slot kDimIndices = slot(5);
// union SparseIndexVector { Int32Vector = 1, Uint16Vector = 2, Uint8Vector = 3 }; each { values }
constexpr Slot kIndexVectorValues = slot(0);
enum SparseIndexType : uint8_t { kInt32Vector = 1, kUint16Vector = 2, kUint8Vector = 3 };

// Options tables (positions of the fields we use).
// Conv2DOptions { padding, stride_w, stride_h, fused_activation_function, dilation_w, dilation_h }
// DepthwiseConv2DOptions { padding, stride_w, stride_h, depth_multiplier, fused_activation_function,
//                          dilation_w, dilation_h }
// Pool2DOptions { padding, stride_w, stride_h, filter_width, filter_height, fused_activation_function }
// AddOptions, FullyConnectedOptions { fused_activation_function, weights_format, keep_num_dims, ... }
// ConcatenationOptions { axis, fused_activation_function }
// ResizeBilinearOptions { new_height (deprecated), new_width (deprecated), align_corners,
//                         half_pixel_centers }
// ReducerOptions { keep_dims }   DepthToSpaceOptions { block_size }
// StridedSliceOptions { begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask, offset }

enum TensorType : int8_t { kFloat32 = 0, kFloat16 = 1, kInt32 = 2 };
enum Padding : int8_t { kSame = 0, kValid = 1 };
enum Activation : int8_t { kNone = 0, kRelu = 1, kReluN1To1 = 2, kRelu6 = 3 };
enum DimensionType : int8_t { kDense = 0, kSparseCsr = 1 };

// BuiltinOperator values of the operators we read.
enum Builtin : int32_t {
  kAdd = 0,
  kConcatenation = 2,
  kConv2d = 3,
  kDepthwiseConv2d = 4,
  kDepthToSpace = 5,
  kDequantize = 6,
  kFullyConnected = 9,
  kLogistic = 14,
  kMaxPool2d = 17,
  kReluOp = 19,
  kReluN1To1Op = 20,
  kRelu6Op = 21,
  kReshape = 22,
  kResizeBilinear = 23,
  kCustom = 32,
  kPad = 34,
  kMean = 40,
  kStridedSlice = 45,
  kPrelu = 54,
  kDensify = 124,
};

// The name of any BuiltinOperator value, for error messages ("?" outside the table).
const char* builtin_name(int32_t code);

}  // namespace sueo::landmarks::detail::tfl
