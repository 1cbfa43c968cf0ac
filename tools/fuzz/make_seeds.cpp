// Writes the seed corpora of tools/fuzz/seeds/<target>/: a few small, valid inputs per parser, made
// with the project's own writers (chunks, JPEG, .npz) and by hand where we have no writer (a tiny
// .tflite like tests/unit/landmarks/tflite_reader_test.cpp's, a tiny ONNX protobuf). The fuzzer
// mutates from these. Usage: fuzz_make_seeds tools/fuzz/seeds
#include <flatbuffers/flatbuffers.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "frames/chunk.h"
#include "frames/jpeg.h"
#include "landmarks/tflite_schema.h"
#include "sign/npz.h"

namespace fs = std::filesystem;
using namespace sueo;

namespace {

fs::path g_root;

void write(const std::string& target, const std::string& name, const std::string& bytes) {
  fs::create_directories(g_root / target);
  std::ofstream(g_root / target / name, std::ios::binary) << bytes;
}

std::string as_string(const std::vector<uint8_t>& v) { return {v.begin(), v.end()}; }

std::vector<uint8_t> small_jpeg(int width, int height, int quality) {
  frames::Image image;
  image.width = width;
  image.height = height;
  image.rgb.resize(static_cast<size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      uint8_t* p = &image.rgb[(static_cast<size_t>(y) * width + x) * 3];
      p[0] = static_cast<uint8_t>(x * 255 / width);
      p[1] = static_cast<uint8_t>(y * 255 / height);
      p[2] = static_cast<uint8_t>((x ^ y) * 8);
    }
  }
  return frames::encode_jpeg(image, quality);
}

// fuzz_chunk records: [op][length u16 BE][payload].
std::string record(uint8_t op, const std::string& payload) {
  return std::string{static_cast<char>(op), static_cast<char>(payload.size() >> 8), static_cast<char>(payload.size() & 0xff)} + payload;
}

void chunk_seeds() {
  const auto jpeg = small_jpeg(16, 12, 80);
  std::string whole = record(0, {1, 3});
  for (uint32_t frame = 0; frame < 3; ++frame) {
    for (const auto& chunk : frames::make_chunks(1, frame, 1000.0 + frame, jpeg, 1 << 16)) whole += record(3, as_string(chunk));
  }
  write("chunk", "three_frames_one_chunk_each", whole + record(1, {1}));
  std::string split = record(0, {2, 2});
  auto parts = frames::make_chunks(2, 0, 5.0, jpeg, 32 + 100);
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) split += record(3, as_string(*it));  // reversed
  split += record(3, as_string(parts.front()));                                              // a repeat
  split += record(8 * 20 + 2, "");                                                           // +20 ms, sweep
  split += record(3, as_string(frames::make_chunks(2, 1, 6.0, jpeg, 32 + 100).front()));      // left partial
  for (int i = 0; i < 4; ++i) split += record(8 * 31 + 2, "");  // +124 ms: past the 100 ms timeout
  write("chunk", "split_reversed_partial", split + record(1, {2}));
}

std::string client_frame(uint8_t first, const std::string& payload) {
  std::string out{static_cast<char>(first)};
  const size_t n = payload.size();
  if (n < 126) {
    out += static_cast<char>(0x80 | n);
  } else {
    out += static_cast<char>(0x80 | 126);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n & 0xff);
  }
  const char mask[4] = {0x11, 0x22, 0x33, 0x44};
  out.append(mask, 4);
  for (size_t i = 0; i < n; ++i) out += static_cast<char>(payload[i] ^ mask[i % 4]);
  return out;
}

void ws_frame_seeds() {
  write("ws_frames", "text_ping_close", std::string(1, '\x07') + client_frame(0x81, R"({"type":"ping","t0":1})") +
                                            client_frame(0x89, "hi") + client_frame(0x88, std::string("\x03\xe8" "bye", 5)));
  write("ws_frames", "fragments", std::string(1, '\x00') + client_frame(0x01, "{\"type\":") + client_frame(0x8A, "") +
                                      client_frame(0x80, "\"offer\"}") + client_frame(0x82, std::string(300, 'b')));
}

void ws_message_seeds() {
  const char* ws[] = {
      R"({"type":"offer","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\n"})",
      R"({"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 2122260223 192.168.0.2 50000 typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"abcd"}})",
      R"({"type":"candidate","candidate":{"candidate":"","sdpMid":"0","sdpMLineIndex":null}})",
      R"({"type":"ping","t0":1764136000123.4})",
      R"({"type":"options","landmarks":true})",
  };
  int i = 0;
  for (const char* text : ws) write("ws_message", "ws" + std::to_string(i++), std::string(1, '\0') + text);
  const char* channel[] = {
      R"({"type":"sequence-start","seq":7,"frames":150,"fps":15,"width":640,"height":480,"t_start":1764136000123.4,"detail":true})",
      R"({"type":"sequence-end","seq":7,"frames":150,"t_last_sent":1764136010120.0})",
  };
  for (const char* text : channel) write("ws_message", "dc" + std::to_string(i++), std::string(1, '\1') + text);
}

void npz_seeds() {
  sign::Npz arrays;
  arrays["X"] = sign::npy_float32({2, 3}, {0.5f, -1, 2, 3, 4.25f, 5});
  arrays["lengths"] = sign::npy_int32({3, 1});
  arrays["files"] = sign::npy_strings({"c01_hi.mp4", "수어.mp4"});
  for (auto method : {sign::NpzMethod::kStored, sign::NpzMethod::kDeflated}) {
    const fs::path tmp = fs::temp_directory_path() / "sueo-seed.npz";
    sign::write_npz(tmp.string(), arrays, method);
    std::ifstream in(tmp, std::ios::binary);
    write("npz", method == sign::NpzMethod::kStored ? "stored" : "deflated", std::string((std::istreambuf_iterator<char>(in)), {}));
    fs::remove(tmp);
  }
}

// Protobuf by hand: field (number, wire type) keys, varints and length-delimited bytes.
std::string varint(uint64_t v) {
  std::string out;
  do {
    out += static_cast<char>((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    v >>= 7;
  } while (v != 0);
  return out;
}
std::string field_varint(int number, uint64_t v) { return varint(static_cast<uint64_t>(number) << 3) + varint(v); }
std::string field_bytes(int number, const std::string& bytes) {
  return varint((static_cast<uint64_t>(number) << 3) | 2) + varint(bytes.size()) + bytes;
}

// ValueInfoProto {name, type {tensor_type {elem_type FLOAT, shape {dims}}}}; a dim is a value or a name.
std::string value_info(const std::string& name, const std::vector<std::string>& dims) {
  std::string shape;
  for (const auto& dim : dims) {
    const bool symbolic = !dim.empty() && !std::isdigit(static_cast<unsigned char>(dim[0]));
    shape += field_bytes(1, symbolic ? field_bytes(2, dim) : field_varint(1, std::stoull(dim)));
  }
  const std::string tensor = field_varint(1, 1) + field_bytes(2, shape);
  return field_bytes(1, name) + field_bytes(2, field_bytes(1, tensor));
}

void onnx_seeds() {
  // ModelProto: ir_version 1, producer_name 2, graph 7 {node 1, name 2, input 11, output 12},
  // opset_import 8 {domain 1, version 2}, metadata_props 14 {key 1, value 2}.
  const std::string node = field_bytes(1, "x") + field_bytes(2, "y") + field_bytes(4, "Softmax");
  const std::string graph = field_bytes(1, node) + field_bytes(2, "tiny") + field_bytes(11, value_info("x", {"1", "T", "258"})) +
                            field_bytes(12, value_info("y", {"1", "3"}));
  const std::string model = field_varint(1, 8) + field_bytes(2, "sueo-seed") + field_bytes(7, graph) +
                            field_bytes(8, field_bytes(1, "") + field_varint(2, 17)) +
                            field_bytes(14, field_bytes(1, "labels") + field_bytes(2, R"(["안녕","hi"])"));
  write("onnx", "tiny_softmax", model);
}

// A one-operator .tflite: y = x + c (ADD with a constant), built like the reader's unit test does.
void tflite_seeds() {
  namespace tfl = landmarks::detail::tfl;
  using Offset = flatbuffers::Offset<flatbuffers::Table>;
  flatbuffers::FlatBufferBuilder b;
  b.ForceDefaults(true);
  auto buffer = [&b](const std::vector<uint8_t>& data) {
    const auto d = b.CreateVector(data);
    const auto s = b.StartTable();
    if (!data.empty()) b.AddOffset(tfl::kBufferData, d);
    return Offset(b.EndTable(s));
  };
  auto tensor = [&b](const std::string& name, const std::vector<int32_t>& shape, uint32_t buffer_index) {
    const auto n = b.CreateString(name);
    const auto sh = b.CreateVector(shape);
    const auto s = b.StartTable();
    b.AddOffset(tfl::kTensorShape, sh);
    b.AddElement<int8_t>(tfl::kTensorType, tfl::kFloat32, 0);
    b.AddElement<uint32_t>(tfl::kTensorBuffer, buffer_index, 0);
    b.AddOffset(tfl::kTensorName, n);
    return Offset(b.EndTable(s));
  };
  const float constant[4] = {1, 2, 3, 4};
  std::vector<uint8_t> constant_bytes(reinterpret_cast<const uint8_t*>(constant), reinterpret_cast<const uint8_t*>(constant) + 16);
  std::vector<Offset> buffers = {buffer({}), buffer(constant_bytes)};
  std::vector<Offset> tensors = {tensor("x", {1, 4}, 0), tensor("c", {1, 4}, 1), tensor("y", {1, 4}, 0)};
  const auto op_in = b.CreateVector(std::vector<int32_t>{0, 1});
  const auto op_out = b.CreateVector(std::vector<int32_t>{2});
  auto s = b.StartTable();
  b.AddElement<uint32_t>(tfl::kOperatorOpcodeIndex, 0, 0);
  b.AddOffset(tfl::kOperatorInputs, op_in);
  b.AddOffset(tfl::kOperatorOutputs, op_out);
  const Offset op(b.EndTable(s));
  const auto empty = b.CreateString("");
  s = b.StartTable();
  b.AddElement<int8_t>(tfl::kOpCodeDeprecatedBuiltin, 0, 0);  // ADD
  b.AddOffset(tfl::kOpCodeCustom, empty);
  b.AddElement<int32_t>(tfl::kOpCodeBuiltin, 0, 0);
  const Offset code(b.EndTable(s));
  const auto tv = b.CreateVector(tensors);
  const auto iv = b.CreateVector(std::vector<int32_t>{0});
  const auto ov = b.CreateVector(std::vector<int32_t>{2});
  const auto opv = b.CreateVector(std::vector<Offset>{op});
  s = b.StartTable();
  b.AddOffset(tfl::kSubGraphTensors, tv);
  b.AddOffset(tfl::kSubGraphInputs, iv);
  b.AddOffset(tfl::kSubGraphOutputs, ov);
  b.AddOffset(tfl::kSubGraphOperators, opv);
  const Offset subgraph(b.EndTable(s));
  const auto cv = b.CreateVector(std::vector<Offset>{code});
  const auto sv = b.CreateVector(std::vector<Offset>{subgraph});
  const auto bv = b.CreateVector(buffers);
  s = b.StartTable();
  b.AddElement<uint32_t>(tfl::slot(0), 3, 0);
  b.AddOffset(tfl::kModelOperatorCodes, cv);
  b.AddOffset(tfl::kModelSubgraphs, sv);
  b.AddOffset(tfl::kModelBuffers, bv);
  b.Finish(Offset(b.EndTable(s)), "TFL3");
  write("tflite", "add_constant", std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize()));
}

void jpeg_seeds() {
  write("jpeg", "16x12_q80", as_string(small_jpeg(16, 12, 80)));
  write("jpeg", "33x17_q30", as_string(small_jpeg(33, 17, 30)));
  const auto truncated = small_jpeg(24, 24, 90);
  write("jpeg", "24x24_truncated", as_string({truncated.begin(), truncated.begin() + static_cast<long>(truncated.size() * 2 / 3)}));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_seeds SEED_DIR\n");
    return 2;
  }
  g_root = argv[1];
  chunk_seeds();
  ws_frame_seeds();
  ws_message_seeds();
  npz_seeds();
  onnx_seeds();
  tflite_seeds();
  jpeg_seeds();
  std::printf("seeds written under %s\n", argv[1]);
  return 0;
}
