// A minimal writer of NumPy .npz files (an uncompressed zip of .npy arrays) for `sueo extract`, so the
// training tools read our landmarks with numpy.load. Thread: any.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sueo::app {

struct NpyArray {
  std::string name;   // key in the .npz ("X" → X.npy)
  std::string descr;  // numpy dtype: "<f4", "<i4", "<U12"
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;  // C order, little endian
};

NpyArray npy_float32(const std::string& name, const std::vector<int64_t>& shape,
                     const std::vector<float>& values);
NpyArray npy_int32(const std::string& name, const std::vector<int32_t>& values);
NpyArray npy_strings(const std::string& name, const std::vector<std::string>& utf8);  // numpy '<U' strings

// Writes the arrays to `path`; throws std::runtime_error when it cannot.
void write_npz(const std::string& path, const std::vector<NpyArray>& arrays);

}  // namespace sueo::app
