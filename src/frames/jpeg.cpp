#include "frames/jpeg.h"

#include <turbojpeg.h>

#include <stdexcept>

namespace sueo::frames {
namespace {

struct TjFree {
  void operator()(unsigned char* p) const { tjFree(p); }
};
struct TjDestroy {
  void operator()(void* handle) const { tjDestroy(handle); }
};

std::string tj_error(void* handle) { return tjGetErrorStr2(handle); }

}  // namespace

JpegDecoder::JpegDecoder() : handle_(tjInitDecompress()) {
  if (!handle_) throw std::runtime_error("tjInitDecompress failed: " + tj_error(nullptr));
}

JpegDecoder::~JpegDecoder() {
  if (handle_) tjDestroy(handle_);
}

// libjpeg-turbo 2.1's tjDecompressHeader3 does not reset the decompressor after an error in the header
// (e.g. "Empty JPEG image"): every later call on that handle fails with "Bogus marker length" (seen here
// with 2.1.5; JpegDecoder.RecoversAfterAHeaderError shows it). A fresh handle after a failure costs a
// few microseconds, and failures are rare.
void JpegDecoder::reset_handle() {
  if (handle_) tjDestroy(handle_);
  handle_ = tjInitDecompress();  // if this fails, decode() tries again next time
}

bool JpegDecoder::decode(std::span<const uint8_t> jpeg, Image& out, std::string& error, int64_t max_pixels) {
  out.width = out.height = 0;
  out.rgb.clear();  // keeps the capacity for the next frame
  if (jpeg.empty()) {
    error = "empty JPEG";
    return false;
  }
  if (!handle_) reset_handle();
  if (!handle_) {
    error = "no JPEG decoder: " + tj_error(nullptr);
    return false;
  }
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  const auto size = static_cast<unsigned long>(jpeg.size());
  if (tjDecompressHeader3(handle_, jpeg.data(), size, &width, &height, &subsampling, &colorspace) != 0) {
    error = "not a JPEG: " + tj_error(handle_);
    reset_handle();
    return false;
  }
  if (width <= 0 || height <= 0 || int64_t{width} * height > max_pixels) {
    error = "JPEG size " + std::to_string(width) + "x" + std::to_string(height) + " is outside 1.." +
            std::to_string(max_pixels) + " pixels";
    return false;
  }
  out.rgb.resize(static_cast<size_t>(width) * height * 3);
  // libjpeg treats truncated or corrupt entropy-coded data as a warning and fills the rest of the image
  // with grey; for us such a frame is bad, not a picture. TurboJPEG 2.1 returns -1 after a warning either
  // way; STOPONWARNING makes it stop there instead of decoding the rest of a frame we will drop.
  if (tjDecompress2(handle_, jpeg.data(), size, out.rgb.data(), width, 0, height, TJPF_RGB,
                    TJFLAG_STOPONWARNING) != 0) {
    error = "corrupt JPEG: " + tj_error(handle_);
    out.rgb.clear();
    reset_handle();
    return false;
  }
  out.width = width;
  out.height = height;
  return true;
}

std::vector<uint8_t> encode_jpeg(const Image& image, int quality) {
  if (image.width <= 0 || image.height <= 0 ||
      image.rgb.size() != static_cast<size_t>(image.width) * image.height * 3)
    throw std::runtime_error("encode_jpeg: image size and pixel buffer disagree");
  if (quality < 1 || quality > 100) throw std::runtime_error("encode_jpeg: quality outside 1..100");
  std::unique_ptr<void, TjDestroy> handle(tjInitCompress());
  if (!handle) throw std::runtime_error("tjInitCompress failed: " + tj_error(nullptr));
  unsigned char* raw = nullptr;  // allocated by TurboJPEG
  unsigned long size = 0;
  const int rc = tjCompress2(handle.get(), image.rgb.data(), image.width, 0, image.height, TJPF_RGB, &raw, &size,
                             TJSAMP_420, quality, 0);
  std::unique_ptr<unsigned char, TjFree> buffer(raw);
  if (rc != 0) throw std::runtime_error("tjCompress2 failed: " + tj_error(handle.get()));
  return {buffer.get(), buffer.get() + size};
}

}  // namespace sueo::frames
