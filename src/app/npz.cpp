#include "app/npz.h"

#include <array>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace sueo::app {

namespace {

void put16(std::vector<uint8_t>& out, uint32_t v) {
  out.push_back(v & 0xff);
  out.push_back((v >> 8) & 0xff);
}
void put32(std::vector<uint8_t>& out, uint32_t v) {
  put16(out, v & 0xffff);
  put16(out, v >> 16);
}

uint32_t crc32(const std::vector<uint8_t>& data) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xffffffffu;
  for (uint8_t b : data) c = table[(c ^ b) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

// The .npy format, version 1.0: magic, header length, a Python dict literal padded to 64 bytes.
std::vector<uint8_t> npy_bytes(const NpyArray& a) {
  std::string shape = "(";
  for (size_t i = 0; i < a.shape.size(); ++i)
    shape += std::to_string(a.shape[i]) + (a.shape.size() == 1 || i + 1 < a.shape.size() ? "," : "");
  shape += ")";
  std::string header = "{'descr': '" + a.descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  put16(out, static_cast<uint32_t>(header.size()));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), a.data.begin(), a.data.end());
  return out;
}

std::u32string utf8_to_utf32(const std::string& s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const int extra = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
    char32_t cp = extra == 0 ? c : c & (0x3F >> extra);
    for (int k = 1; k <= extra && i + k < s.size(); ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += 1 + extra;
  }
  return out;
}

}  // namespace

NpyArray npy_float32(const std::string& name, const std::vector<int64_t>& shape,
                     const std::vector<float>& values) {
  NpyArray a{name, "<f4", shape, std::vector<uint8_t>(values.size() * 4)};
  std::memcpy(a.data.data(), values.data(), a.data.size());  // x86/ARM Linux: little endian
  return a;
}

NpyArray npy_int32(const std::string& name, const std::vector<int32_t>& values) {
  NpyArray a{name, "<i4", {static_cast<int64_t>(values.size())}, std::vector<uint8_t>(values.size() * 4)};
  std::memcpy(a.data.data(), values.data(), a.data.size());
  return a;
}

NpyArray npy_strings(const std::string& name, const std::vector<std::string>& utf8) {
  std::vector<std::u32string> wide;
  size_t width = 1;
  for (const auto& s : utf8) {
    wide.push_back(utf8_to_utf32(s));
    width = std::max(width, wide.back().size());
  }
  NpyArray a{name, "<U" + std::to_string(width), {static_cast<int64_t>(utf8.size())}, {}};
  for (const auto& w : wide) {
    for (size_t i = 0; i < width; ++i) put32(a.data, i < w.size() ? static_cast<uint32_t>(w[i]) : 0);
  }
  return a;
}

void write_npz(const std::string& path, const std::vector<NpyArray>& arrays) {
  std::vector<uint8_t> zip, directory;
  for (const auto& a : arrays) {
    const std::vector<uint8_t> body = npy_bytes(a);
    if (body.size() >= 0xffffffffu)
      throw std::runtime_error(path + ": array " + a.name + " too large for zip32");
    const std::string name = a.name + ".npy";
    const uint32_t crc = crc32(body), offset = static_cast<uint32_t>(zip.size());
    const auto size = static_cast<uint32_t>(body.size());
    // Local header and central directory entry: stored (method 0), dated 1980-01-01.
    put32(zip, 0x04034b50);
    for (uint32_t v : {20u, 0u, 0u, 0u, 0x21u}) put16(zip, v);
    for (uint32_t v : {crc, size, size}) put32(zip, v);
    put16(zip, static_cast<uint32_t>(name.size()));
    put16(zip, 0);
    zip.insert(zip.end(), name.begin(), name.end());
    zip.insert(zip.end(), body.begin(), body.end());

    put32(directory, 0x02014b50);
    for (uint32_t v : {20u, 20u, 0u, 0u, 0u, 0x21u}) put16(directory, v);
    for (uint32_t v : {crc, size, size}) put32(directory, v);
    for (uint32_t v : {static_cast<uint32_t>(name.size()), 0u, 0u, 0u, 0u}) put16(directory, v);
    put32(directory, 0);
    put32(directory, offset);
    directory.insert(directory.end(), name.begin(), name.end());
  }
  const auto dir_offset = static_cast<uint32_t>(zip.size());
  zip.insert(zip.end(), directory.begin(), directory.end());
  put32(zip, 0x06054b50);
  for (uint32_t v : {0u, 0u, static_cast<uint32_t>(arrays.size()), static_cast<uint32_t>(arrays.size())})
    put16(zip, v);
  put32(zip, static_cast<uint32_t>(directory.size()));
  put32(zip, dir_offset);
  put16(zip, 0);
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(zip.data()), static_cast<std::streamsize>(zip.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace sueo::app
