// libFuzzer target: the .tflite flatbuffer reader that turns MediaPipe's model files into our graph.
// Any input must end in a graph or a std::runtime_error; a graph's tensor indices must be in range.
#include <stdexcept>

#include "landmarks/tflite_reader.h"

#define CHECK(cond) \
  if (!(cond)) __builtin_trap()

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto graph = sueo::landmarks::detail::parse_tflite({data, size}, {});
    const auto tensors = static_cast<int>(graph.tensors.size());
    for (int i : graph.inputs) CHECK(i >= 0 && i < tensors);
    for (int i : graph.outputs) CHECK(i >= 0 && i < tensors);
  } catch (const std::runtime_error&) {
  }
  return 0;
}
