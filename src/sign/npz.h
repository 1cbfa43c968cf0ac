// Reads NumPy .npz archives (what tools/train and ../shared/data use for landmark sets) without
// Python: a zip (stored or deflated members, zip64 sizes) of .npy arrays. Only little-endian float32,
// int32/int64 and fixed-width unicode ('<U') arrays in C order — what the landmark sets hold.
// Thread: pure functions, any thread.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace sueo::sign {

struct NpyArray {
  std::string descr;  // e.g. "<f4", "<i4", "<U12"
  std::vector<size_t> shape;
  std::string data;  // raw little-endian bytes, C order

  size_t count() const;                      // number of elements
  std::vector<float> floats() const;         // "<f4" (or "<f8", converted)
  std::vector<int64_t> ints() const;         // "<i4", "<i8"
  std::vector<std::string> strings() const;  // "<U<n>" as UTF-8
};

struct NpzError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Member name without ".npy" -> array. Throws NpzError with the file name and what is wrong.
std::map<std::string, NpyArray> read_npz(const std::string& path);

// One .npy file's bytes.
NpyArray parse_npy(const std::string& bytes, const std::string& name);

}  // namespace sueo::sign
