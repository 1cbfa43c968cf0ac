#include "sign/npz.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sueo::sign {
namespace {

// Zip record signatures and layouts: PKWARE APPNOTE.TXT §4.3 (local header, central directory,
// end of central directory) and §4.5.3 (zip64 extended information extra field, id 0x0001).
constexpr uint32_t kEndOfCentralDir = 0x06054b50, kCentralHeader = 0x02014b50, kLocalHeader = 0x04034b50;
constexpr uint16_t kZip64Extra = 0x0001;
constexpr uint16_t kStored = 0, kDeflated = 8;

uint64_t le(const std::string& b, size_t pos, int bytes) {
  if (pos + static_cast<size_t>(bytes) > b.size()) throw NpzError("truncated zip record");
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(b[pos + static_cast<size_t>(i)]);
  return v;
}

std::string inflate_raw(const std::string& in, size_t out_size) {
  std::string out(out_size, '\0');
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) throw NpzError("zlib init failed");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&z, Z_FINISH);
  inflateEnd(&z);
  if (rc != Z_STREAM_END || z.total_out != out_size) throw NpzError("corrupt deflate data");
  return out;
}

struct Member {
  std::string name;
  uint16_t method = 0;
  uint64_t compressed = 0, size = 0, offset = 0;
};

std::vector<Member> central_directory(const std::string& zip) {
  if (zip.size() < 22) throw NpzError("too small to be a zip archive");
  size_t eocd = std::string::npos;
  for (size_t p = zip.size() - 22 + 1; p-- > 0 && zip.size() - p <= 22 + 65535;) {
    if (le(zip, p, 4) == kEndOfCentralDir) {
      eocd = p;
      break;
    }
  }
  if (eocd == std::string::npos) throw NpzError("not a zip archive (no end of central directory)");
  const uint64_t entries = le(zip, eocd + 10, 2);
  size_t p = le(zip, eocd + 16, 4);
  std::vector<Member> members;
  for (uint64_t i = 0; i < entries; ++i) {
    if (le(zip, p, 4) != kCentralHeader) throw NpzError("bad central directory entry");
    Member m;
    m.method = static_cast<uint16_t>(le(zip, p + 10, 2));
    m.compressed = le(zip, p + 20, 4);
    m.size = le(zip, p + 24, 4);
    const size_t name_len = le(zip, p + 28, 2), extra_len = le(zip, p + 30, 2),
                 comment_len = le(zip, p + 32, 2);
    m.offset = le(zip, p + 42, 4);
    m.name = zip.substr(p + 46, name_len);
    // zip64: fields saturated at 0xFFFFFFFF are in the extra field, in this order.
    for (size_t e = p + 46 + name_len; e + 4 <= p + 46 + name_len + extra_len;) {
      const uint16_t id = static_cast<uint16_t>(le(zip, e, 2));
      const size_t len = le(zip, e + 2, 2);
      if (id == kZip64Extra) {
        size_t q = e + 4;
        if (m.size == 0xffffffffu) {
          m.size = le(zip, q, 8);
          q += 8;
        }
        if (m.compressed == 0xffffffffu) {
          m.compressed = le(zip, q, 8);
          q += 8;
        }
        if (m.offset == 0xffffffffu) m.offset = le(zip, q, 8);
      }
      e += 4 + len;
    }
    members.push_back(m);
    p += 46 + name_len + extra_len + comment_len;
  }
  return members;
}

std::string member_bytes(const std::string& zip, const Member& m) {
  if (le(zip, m.offset, 4) != kLocalHeader) throw NpzError("bad local header for " + m.name);
  const size_t start = m.offset + 30 + le(zip, m.offset + 26, 2) + le(zip, m.offset + 28, 2);
  if (start > zip.size() || m.compressed > zip.size() - start) {
    throw NpzError(m.name + " runs past the end of the archive");
  }
  if (m.method == kDeflated && m.size > (uint64_t{1} << 32))
    throw NpzError(m.name + ": member larger than 4 GiB");
  const std::string raw = zip.substr(start, m.compressed);
  if (m.method == kStored) return raw;
  if (m.method == kDeflated) return inflate_raw(raw, m.size);
  throw NpzError(m.name + ": unsupported zip compression method " + std::to_string(m.method));
}

std::string header_value(const std::string& header, const std::string& key) {
  const size_t k = header.find("'" + key + "':");
  if (k == std::string::npos) return {};
  const size_t v = header.find_first_not_of(' ', k + key.size() + 3);
  if (v == std::string::npos) return {};
  if (header[v] == '\'') return header.substr(v + 1, header.find('\'', v + 1) - v - 1);
  if (header[v] == '(') return header.substr(v + 1, header.find(')', v) - v - 1);
  return header.substr(v, header.find_first_of(",}", v) - v);
}

void append_utf8(std::string& out, uint32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xc0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xe0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  }
}

}  // namespace

size_t NpyArray::count() const {
  size_t n = 1;
  for (size_t d : shape) n *= d;
  return n;
}

std::vector<float> NpyArray::floats() const {
  std::vector<float> out(count());
  if (descr == "<f4") {
    std::memcpy(out.data(), data.data(), out.size() * 4);
  } else if (descr == "<f8") {
    for (size_t i = 0; i < out.size(); ++i) {
      double v;
      std::memcpy(&v, data.data() + i * 8, 8);
      out[i] = static_cast<float>(v);
    }
  } else {
    throw NpzError("expected a float array, got " + descr);
  }
  return out;
}

std::vector<int64_t> NpyArray::ints() const {
  std::vector<int64_t> out(count());
  const int width = descr == "<i4" ? 4 : descr == "<i8" ? 8 : 0;
  if (width == 0) throw NpzError("expected an int32/int64 array, got " + descr);
  for (size_t i = 0; i < out.size(); ++i) {
    const uint64_t v = le(data, i * static_cast<size_t>(width), width);
    out[i] = width == 4 ? static_cast<int32_t>(v) : static_cast<int64_t>(v);
  }
  return out;
}

std::vector<std::string> NpyArray::strings() const {
  if (descr.rfind("<U", 0) != 0) throw NpzError("expected a unicode string array, got " + descr);
  const size_t chars = std::stoul(descr.substr(2));
  std::vector<std::string> out;
  for (size_t i = 0; i < count(); ++i) {
    std::string s;
    for (size_t c = 0; c < chars; ++c) {
      const auto code = static_cast<uint32_t>(le(data, (i * chars + c) * 4, 4));
      if (code == 0) break;
      append_utf8(s, code);
    }
    out.push_back(s);
  }
  return out;
}

NpyArray parse_npy(const std::string& bytes, const std::string& name) {
  // .npy format (numpy/lib/format.py): "\x93NUMPY", major, minor, header length (2 bytes in v1,
  // 4 bytes in v2/v3), then a Python dict literal with descr, fortran_order and shape.
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    throw NpzError(name + " is not a .npy array");
  const int major = static_cast<uint8_t>(bytes[6]);
  const size_t len_bytes = major == 1 ? 2 : 4;
  const size_t header_len = le(bytes, 8, static_cast<int>(len_bytes));
  const std::string header = bytes.substr(8 + len_bytes, header_len);
  NpyArray array;
  array.descr = header_value(header, "descr");
  if (header_value(header, "fortran_order") != "False")
    throw NpzError(name + ": Fortran-order arrays are not supported");
  std::stringstream dims(header_value(header, "shape"));
  for (std::string item; std::getline(dims, item, ',');) {
    if (item.find_first_not_of(' ') != std::string::npos) array.shape.push_back(std::stoul(item));
  }
  array.data = bytes.substr(8 + len_bytes + header_len);
  if (array.descr.size() < 3) throw NpzError(name + ": unsupported dtype '" + array.descr + "'");
  const size_t item = array.descr.rfind("<U", 0) == 0 ? 4 * std::stoul(array.descr.substr(2))
                                                      : std::stoul(array.descr.substr(2));
  if (item == 0) throw NpzError(name + ": zero-width dtype '" + array.descr + "'");
  // product(shape) <= elements present, checked by division so a huge shape cannot overflow.
  size_t room = array.data.size() / item;
  const bool empty = std::find(array.shape.begin(), array.shape.end(), size_t{0}) != array.shape.end();
  for (size_t d : array.shape) {
    if (empty) break;
    if (d > room) throw NpzError(name + ": data shorter than its shape");
    room /= d;
  }
  return array;
}

std::map<std::string, NpyArray> read_npz(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw NpzError("cannot open '" + path + "'");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string zip = buffer.str();
  std::map<std::string, NpyArray> arrays;
  try {
    for (const Member& m : central_directory(zip)) {
      std::string name = m.name;
      if (name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0) name.resize(name.size() - 4);
      arrays[name] = parse_npy(member_bytes(zip, m), m.name);
    }
  } catch (const NpzError& error) {
    throw NpzError(path + ": " + error.what());
  }
  return arrays;
}

}  // namespace sueo::sign
