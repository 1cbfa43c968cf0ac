// The .npy format itself (numpy/lib/format.py, NEP 1): "\x93NUMPY", major, minor, the header length
// (2 bytes little endian in version 1.0, 4 bytes in 2.0 and 3.0), then a Python dict literal
// {'descr': ..., 'fortran_order': ..., 'shape': (...), } ending in '\n', space-padded so the data
// starts on a 64-byte boundary. The zip around it is npz.cpp's.
#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>
#include <limits>
#include <string_view>

#include "sign/npz.h"

namespace sueo::sign {
namespace {

static_assert(std::endian::native == std::endian::little, "array bytes are copied as little endian");

constexpr std::string_view kMagic("\x93NUMPY", 6);
constexpr size_t kAlign = 64;
constexpr char32_t kReplacement = 0xFFFD;

// Bytes per element of a dtype string such as "<f4", "|u1" or "<U12" (4 bytes a character).
size_t item_size(const std::string& descr) {
  if (descr.size() < 3 || (descr[0] != '<' && descr[0] != '|'))
    throw NpzError("unsupported dtype '" + descr + "' (little endian, fixed size only)");
  size_t n = 0;
  const char* end = descr.data() + descr.size();
  const auto [ptr, ec] = std::from_chars(descr.data() + 2, end, n);
  if (ec != std::errc() || ptr != end || n == 0 || n > (size_t{1} << 20))
    throw NpzError("unsupported dtype '" + descr + "'");
  return descr[1] == 'U' ? 4 * n : n;
}

// count() × item size, refusing shapes whose byte size overflows.
size_t byte_size(const NpyArray& a) {
  size_t n = item_size(a.descr);
  for (const size_t d : a.shape) {
    if (d != 0 && n > std::numeric_limits<size_t>::max() / d) throw NpzError("shape too large");
    n *= d;
  }
  return n;
}

void check_size(const NpyArray& a) {
  if (a.data.size() != byte_size(a))
    throw NpzError("array of " + std::to_string(a.data.size()) + " bytes does not match its dtype '" +
                   a.descr + "' and shape");
}

// Where the value of `key` starts in the header dict.
size_t value_at(std::string_view header, const std::string& key) {
  const std::string quoted = "'" + key + "':";
  const size_t k = header.find(quoted);
  if (k == std::string_view::npos) throw NpzError("header has no '" + key + "'");
  const size_t v = header.find_first_not_of(' ', k + quoted.size());
  if (v == std::string_view::npos) throw NpzError("header ends after '" + key + "'");
  return v;
}

std::string parse_descr(std::string_view header) {
  const size_t v = value_at(header, "descr");
  const size_t end = header.find('\'', v + 1);
  if (header[v] != '\'' || end == std::string_view::npos)
    throw NpzError("descr is not a simple dtype string (structured arrays are not supported)");
  return std::string(header.substr(v + 1, end - v - 1));
}

std::vector<size_t> parse_shape(std::string_view header) {
  size_t p = value_at(header, "shape");
  const size_t end = header.find(')', p);
  if (header[p] != '(' || end == std::string_view::npos) throw NpzError("shape is not a tuple");
  std::vector<size_t> shape;
  while ((p = header.find_first_not_of(" ,", p + 1)) < end) {
    size_t d = 0;
    const auto [ptr, ec] = std::from_chars(header.data() + p, header.data() + end, d);
    if (ec != std::errc()) throw NpzError("bad dimension in shape");
    shape.push_back(d);
    p = static_cast<size_t>(ptr - header.data()) - 1;
  }
  return shape;
}

void append_utf8(std::string& out, char32_t c) {
  static constexpr uint8_t kLead[] = {0, 0xC0, 0xE0, 0xF0};
  if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = kReplacement;
  if (c < 0x80) {
    out += static_cast<char>(c);
    return;
  }
  const int extra = c < 0x800 ? 1 : c < 0x10000 ? 2 : 3;
  out += static_cast<char>(kLead[extra] | (c >> (6 * extra)));
  for (int k = extra - 1; k >= 0; --k) out += static_cast<char>(0x80 | ((c >> (6 * k)) & 0x3F));
}

// The code point at s[i], advancing i; a malformed sequence gives U+FFFD (file paths on Linux are
// bytes, numpy's '<U' is Unicode).
char32_t next_code_point(std::string_view s, size_t& i) {
  static constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};  // shorter forms are overlong
  const auto lead = static_cast<uint8_t>(s[i++]);
  if (lead < 0x80) return lead;
  const int extra = lead >= 0xC2 && lead <= 0xDF   ? 1
                    : lead >= 0xE0 && lead <= 0xEF ? 2
                    : lead >= 0xF0 && lead <= 0xF4 ? 3
                                                   : 0;
  if (extra == 0 || s.size() - i < static_cast<size_t>(extra)) return kReplacement;
  char32_t c = lead & (0x7F >> (extra + 1));
  for (int k = 0; k < extra; ++k) {
    const auto b = static_cast<uint8_t>(s[i + static_cast<size_t>(k)]);
    if ((b & 0xC0) != 0x80) return kReplacement;
    c = c << 6 | (b & 0x3F);
  }
  i += static_cast<size_t>(extra);
  return c < kMin[extra] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF) ? kReplacement : c;
}

template <typename T>
NpyArray raw_array(std::string descr, std::vector<size_t> shape, const std::vector<T>& values) {
  NpyArray a{std::move(descr), std::move(shape), std::string(values.size() * sizeof(T), '\0')};
  check_size(a);
  if (!values.empty()) std::memcpy(a.data.data(), values.data(), a.data.size());
  return a;
}

template <typename T>
std::vector<T> copy_out(const NpyArray& a) {
  check_size(a);
  std::vector<T> out(a.count());
  if (!out.empty()) std::memcpy(out.data(), a.data.data(), a.data.size());
  return out;
}

}  // namespace

size_t NpyArray::count() const {
  size_t n = 1;
  for (const size_t d : shape) n *= d;
  return n;
}

std::vector<float> NpyArray::floats() const {
  if (descr == "<f4") return copy_out<float>(*this);
  if (descr != "<f8") throw NpzError("expected a float32/float64 array, got '" + descr + "'");
  const std::vector<double> wide = copy_out<double>(*this);
  return std::vector<float>(wide.begin(), wide.end());
}

std::vector<int64_t> NpyArray::ints() const {
  if (descr == "<i8") return copy_out<int64_t>(*this);
  if (descr != "<i4") throw NpzError("expected an int32/int64 array, got '" + descr + "'");
  const std::vector<int32_t> narrow = copy_out<int32_t>(*this);
  return std::vector<int64_t>(narrow.begin(), narrow.end());
}

std::vector<std::string> NpyArray::strings() const {
  if (descr.rfind("<U", 0) != 0) throw NpzError("expected a unicode string array, got '" + descr + "'");
  check_size(*this);
  const size_t width = item_size(descr) / 4;
  const auto code = [&](size_t k) {
    char32_t c;
    std::memcpy(&c, data.data() + 4 * k, 4);
    return c;
  };
  std::vector<std::string> out(count());
  for (size_t i = 0; i < out.size(); ++i) {
    size_t len = width;
    while (len > 0 && code(i * width + len - 1) == 0) --len;  // numpy drops trailing NULs
    for (size_t c = 0; c < len; ++c) append_utf8(out[i], code(i * width + c));
  }
  return out;
}

NpyArray npy_float32(std::vector<size_t> shape, const std::vector<float>& values) {
  return raw_array("<f4", std::move(shape), values);
}

NpyArray npy_int32(const std::vector<int32_t>& values) { return raw_array("<i4", {values.size()}, values); }

NpyArray npy_strings(const std::vector<std::string>& utf8) {
  std::vector<std::u32string> wide(utf8.size());
  size_t width = 1;  // numpy's narrowest string dtype is '<U1'
  for (size_t i = 0; i < utf8.size(); ++i) {
    for (size_t p = 0; p < utf8[i].size();) wide[i] += next_code_point(utf8[i], p);
    width = std::max(width, wide[i].size());
  }
  std::vector<char32_t> codes(utf8.size() * width, 0);
  for (size_t i = 0; i < wide.size(); ++i)
    std::copy(wide[i].begin(), wide[i].end(), codes.begin() + i * width);
  NpyArray a = raw_array("<u4", {codes.size()}, codes);  // the bytes; then the real dtype and shape
  a.descr = "<U" + std::to_string(width);
  a.shape = {utf8.size()};
  return a;
}

NpyArray parse_npy(std::string bytes, const std::string& name) {
  try {
    if (bytes.size() < 10 || bytes.compare(0, kMagic.size(), kMagic) != 0) throw NpzError("not a .npy array");
    const int major = static_cast<uint8_t>(bytes[6]);
    if (major < 1 || major > 3) throw NpzError("unknown .npy version " + std::to_string(major));
    const size_t len_bytes = major == 1 ? 2 : 4, start = 8 + len_bytes;
    if (bytes.size() < start) throw NpzError("truncated header");
    size_t header_len = 0;
    for (size_t i = len_bytes; i-- > 0;) header_len = header_len << 8 | static_cast<uint8_t>(bytes[8 + i]);
    if (header_len > bytes.size() - start) throw NpzError("header runs past the end");
    const std::string_view header(bytes.data() + start, header_len);
    NpyArray array{parse_descr(header), parse_shape(header), {}};
    if (header.substr(value_at(header, "fortran_order"), 5) != "False")
      throw NpzError("Fortran-order arrays are not supported");
    const size_t size = byte_size(array);
    if (bytes.size() - start - header_len < size)
      throw NpzError("data shorter than its shape (" + std::to_string(bytes.size() - start - header_len) +
                     " of " + std::to_string(size) + " bytes)");
    bytes.erase(0, start + header_len);  // the header view is not used past here
    bytes.resize(size);
    array.data = std::move(bytes);
    return array;
  } catch (const NpzError& error) {
    throw NpzError(name + ": " + error.what());
  }
}

std::string npy_header(const NpyArray& array) {
  check_size(array);
  std::string shape;  // Python's tuple repr: (), (3,), (2, 3)
  for (size_t i = 0; i < array.shape.size(); ++i) shape += (i ? ", " : "") + std::to_string(array.shape[i]);
  if (array.shape.size() == 1) shape += ',';
  std::string dict = "{'descr': '" + array.descr + "', 'fortran_order': False, 'shape': (" + shape + "), }";
  const size_t used = kMagic.size() + 2 + 2 + dict.size() + 1;  // magic, version, length, dict, '\n'
  dict.append((kAlign - used % kAlign) % kAlign, ' ');
  dict += '\n';
  if (dict.size() > 0xFFFF) throw NpzError("shape too long for a version 1.0 header");
  std::string out(kMagic);
  out += {'\x01', '\x00', static_cast<char>(dict.size() & 0xFF), static_cast<char>(dict.size() >> 8)};
  return out + dict;
}

}  // namespace sueo::sign
