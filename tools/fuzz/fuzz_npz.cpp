// libFuzzer target: .npz archives (libzip's container, our .npy parser inside), read from memory as
// read_npz reads files. Any input must end in arrays or an NpzError, and every accessor of what was
// read must hold to the array's shape.
#include "sign/npz.h"

#define CHECK(cond) \
  if (!(cond)) __builtin_trap()

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto arrays = sueo::sign::read_npz_bytes({reinterpret_cast<const char*>(data), size}, "fuzz.npz");
    for (const auto& [name, array] : arrays) {
      try {
        if (array.descr == "<f4" || array.descr == "<f8") CHECK(array.floats().size() == array.count());
        if (array.descr == "<i4" || array.descr == "<i8") CHECK(array.ints().size() == array.count());
        if (!array.descr.empty() && array.descr.rfind("<U", 0) == 0) CHECK(array.strings().size() == array.count());
      } catch (const sueo::sign::NpzError&) {
      }
    }
  } catch (const sueo::sign::NpzError&) {
  }
  return 0;
}
