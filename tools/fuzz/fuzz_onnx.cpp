// libFuzzer target: the ONNX metadata reader (the protobuf walk that checks a user's model against
// docs/model.md before OpenCV ever sees it). Any input must end in a description or OnnxParseError.
#include "sign/onnx_info.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto info = sueo::sign::parse_onnx_info({reinterpret_cast<const char*>(data), size});
    for (const auto& tensor : info.inputs) (void)sueo::sign::describe_dims(tensor);
    for (const auto& tensor : info.outputs) (void)sueo::sign::describe_dims(tensor);
  } catch (const sueo::sign::OnnxParseError&) {
  }
  return 0;
}
