// NumPy .npz archives, read and written without Python: what tools/train and ../shared/data use for
// landmark sets (`sueo eval`, the sign tests) and what `sueo extract` writes. The zip container is
// libzip's (stored or deflated members, zip64, CRC checks); the .npy format inside each member is ours
// (npy.cpp). Arrays are C order, little endian; the accessors read <f4/<f8, <i4/<i8 and <U strings,
// what the landmark sets hold. Thread: pure functions and values, any thread.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sueo::sign {

// Every problem with a file or an array: the message names the file (or member) and what is wrong.
struct NpzError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct NpyArray {
  std::string descr;          // numpy dtype string: "<f4", "<i8", "<U12"
  std::vector<size_t> shape;  // () for a scalar
  std::string data;           // raw bytes, C order, exactly count() × item size

  size_t count() const;                      // number of elements
  std::vector<float> floats() const;         // "<f4", or "<f8" converted
  std::vector<int64_t> ints() const;         // "<i4", "<i8"
  std::vector<std::string> strings() const;  // "<U<n>" as UTF-8, trailing NULs dropped
};

// Arrays to write, in numpy's dtypes. Throws NpzError when values do not fill shape.
NpyArray npy_float32(std::vector<size_t> shape, const std::vector<float>& values);
NpyArray npy_int32(const std::vector<int32_t>& values);      // 1-D
NpyArray npy_strings(const std::vector<std::string>& utf8);  // 1-D '<U<longest>'

// One .npy file: parses its header and checks the data holds what the shape says. `name` is for
// messages.
NpyArray parse_npy(std::string bytes, const std::string& name);
// The .npy header (magic, version 1.0, dict, padding) that goes before `array.data`. Throws NpzError
// when data and descr/shape disagree.
std::string npy_header(const NpyArray& array);

// Member name without ".npy" -> array.
using Npz = std::map<std::string, NpyArray>;

Npz read_npz(const std::string& path);
// The same from bytes in memory (fuzzing, uploads); `name` is for messages.
Npz read_npz_bytes(std::string_view bytes, const std::string& name);

enum class NpzMethod { kStored, kDeflated };  // np.savez / np.savez_compressed
void write_npz(const std::string& path, const Npz& arrays, NpzMethod method = NpzMethod::kDeflated);

}  // namespace sueo::sign
