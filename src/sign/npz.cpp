// The zip side of .npz: libzip opens, checks (consistency, CRC-32) and inflates; we only walk the
// members and hand each to parse_npy (npy.cpp).
#include "sign/npz.h"

#include <zip.h>

#include <algorithm>
#include <memory>

namespace sueo::sign {
namespace {

constexpr std::string_view kSuffix = ".npy";
constexpr size_t kChunk = size_t{1} << 20;
// Reserved up front on the word of the directory entry; past it the buffer grows only as data really
// arrives, so a damaged size field cannot allocate gigabytes.
constexpr uint64_t kMaxReserve = uint64_t{256} << 20;

struct ZipDiscard {
  void operator()(zip_t* zip) const { zip_discard(zip); }
};
struct ZipFileClose {
  void operator()(zip_file_t* file) const { zip_fclose(file); }
};
using Zip = std::unique_ptr<zip_t, ZipDiscard>;
using ZipFile = std::unique_ptr<zip_file_t, ZipFileClose>;

Zip open_zip(const std::string& path, int flags) {
  int code = 0;
  Zip zip(zip_open(path.c_str(), flags, &code));
  if (!zip) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    const std::string text = zip_error_strerror(&error);
    zip_error_fini(&error);
    throw NpzError(path + ": " + text);
  }
  return zip;
}

// The whole uncompressed member, its size checked against the directory; reading to the end makes
// libzip compare the CRC-32.
std::string read_member(zip_t* zip, zip_uint64_t index, const std::string& name) {
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_stat_index(zip, index, 0, &stat) != 0 || !(stat.valid & ZIP_STAT_SIZE))
    throw NpzError(name + ": " + zip_strerror(zip));
  ZipFile file(zip_fopen_index(zip, index, 0));
  if (!file) throw NpzError(name + ": " + zip_strerror(zip));
  std::string bytes;
  bytes.reserve(std::min(stat.size, kMaxReserve));
  std::string chunk(kChunk, '\0');
  for (;;) {
    const zip_int64_t n = zip_fread(file.get(), chunk.data(), chunk.size());
    if (n < 0) throw NpzError(name + ": " + zip_file_strerror(file.get()));
    if (n == 0) break;
    if (static_cast<uint64_t>(n) > stat.size - bytes.size())
      throw NpzError(name + ": longer than the " + std::to_string(stat.size) + " bytes its entry says");
    bytes.append(chunk.data(), static_cast<size_t>(n));
  }
  if (bytes.size() != stat.size)
    throw NpzError(name + ": " + std::to_string(bytes.size()) + " of " + std::to_string(stat.size) +
                   " bytes");
  return bytes;
}

std::string array_name(std::string member) {
  if (member.size() > kSuffix.size() &&
      member.compare(member.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0)
    member.resize(member.size() - kSuffix.size());
  return member;
}

// Adds header + data as one member without copying either: both must live until zip_close.
void add_member(zip_t* zip, const std::string& name, const std::string& header, const std::string& data,
                NpzMethod method) {
  // libzip reads fragments only (freep = 0), the cast is for its non-const field.
  const zip_buffer_fragment_t parts[] = {
      {reinterpret_cast<zip_uint8_t*>(const_cast<char*>(header.data())), header.size()},
      {reinterpret_cast<zip_uint8_t*>(const_cast<char*>(data.data())), data.size()}};
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_fragment_create(parts, data.empty() ? 1 : 2, 0, &error);
  if (!source) {
    const std::string text = zip_error_strerror(&error);
    zip_error_fini(&error);
    throw NpzError(text);
  }
  const zip_int64_t index = zip_file_add(zip, name.c_str(), source, ZIP_FL_ENC_UTF_8);
  if (index < 0) {
    zip_source_free(source);  // not taken over on failure
    throw NpzError(zip_strerror(zip));
  }
  const zip_int32_t zip_method = method == NpzMethod::kDeflated ? ZIP_CM_DEFLATE : ZIP_CM_STORE;
  if (zip_set_file_compression(zip, static_cast<zip_uint64_t>(index), zip_method, 0) != 0)
    throw NpzError(zip_strerror(zip));
}

// Every member of an open archive; `path` (a path or a name) prefixes the messages.
Npz read_members(zip_t* zip, const std::string& path) {
  const zip_int64_t entries = zip_get_num_entries(zip, 0);
  Npz arrays;
  try {
    for (zip_int64_t i = 0; i < entries; ++i) {
      const auto index = static_cast<zip_uint64_t>(i);
      const char* raw_name = zip_get_name(zip, index, 0);
      if (!raw_name) throw NpzError(zip_strerror(zip));
      const std::string member = raw_name;
      NpyArray array = parse_npy(read_member(zip, index, member), member);
      if (!arrays.emplace(array_name(member), std::move(array)).second)
        throw NpzError("two members named " + member);
    }
  } catch (const NpzError& error) {
    throw NpzError(path + ": " + error.what());
  }
  return arrays;
}

}  // namespace

Npz read_npz(const std::string& path) {
  const Zip zip = open_zip(path, ZIP_RDONLY | ZIP_CHECKCONS);
  return read_members(zip.get(), path);
}

Npz read_npz_bytes(std::string_view bytes, const std::string& name) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (source == nullptr) {
    const std::string text = zip_error_strerror(&error);
    zip_error_fini(&error);
    throw NpzError(name + ": " + text);
  }
  Zip zip(zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error));
  if (!zip) {
    zip_source_free(source);  // not taken over on failure
    const std::string text = zip_error_strerror(&error);
    zip_error_fini(&error);
    throw NpzError(name + ": " + text);
  }
  zip_error_fini(&error);
  return read_members(zip.get(), name);
}

void write_npz(const std::string& path, const Npz& arrays, NpzMethod method) {
  // Declared before the archive so they outlive it; reserved so that libzip's pointers into them stay.
  std::vector<std::string> headers;
  headers.reserve(arrays.size());
  Zip zip = open_zip(path, ZIP_CREATE | ZIP_TRUNCATE);
  for (const auto& [name, array] : arrays) {
    const std::string member = name + std::string(kSuffix);
    try {
      headers.push_back(npy_header(array));
      add_member(zip.get(), member, headers.back(), array.data, method);
    } catch (const NpzError& error) {
      throw NpzError(path + ": " + member + ": " + error.what());
    }
  }
  // zip_close writes the archive (to a temporary file, renamed over `path`) and frees it on success.
  if (zip_close(zip.get()) != 0) throw NpzError(path + ": " + zip_strerror(zip.get()));
  static_cast<void>(zip.release());
}

}  // namespace sueo::sign
