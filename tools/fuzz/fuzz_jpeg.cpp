// libFuzzer target: the JPEG decode path every frame takes (libjpeg-turbo through JpegDecoder, with
// the size bound the server uses, here smaller so a huge declared image cannot time the fuzzer out).
// Any input must decode to an image of the stated size or fail with a message and an empty image.
#include "frames/jpeg.h"

#define CHECK(cond) \
  if (!(cond)) __builtin_trap()

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static sueo::frames::JpegDecoder decoder;  // one per worker thread in the server, reused likewise
  static sueo::frames::Image image;
  std::string error;
  if (decoder.decode({data, size}, image, error, 1024 * 1024)) {
    CHECK(image.width > 0 && image.height > 0);
    CHECK(image.rgb.size() == static_cast<size_t>(image.width) * image.height * 3);
  } else {
    CHECK(!error.empty() && image.width == 0 && image.height == 0);
  }
  return 0;
}
