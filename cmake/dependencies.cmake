# Every third-party dependency is a Debian 12 package (see scripts/apt-packages.txt).

# Pipeline (no GLib): JPEG, XNNPACK, OpenCV DNN, libzip (.npz).
pkg_check_modules(TURBOJPEG REQUIRED IMPORTED_TARGET libturbojpeg)
pkg_check_modules(LIBZIP REQUIRED IMPORTED_TARGET libzip)
find_library(XNNPACK_LIB XNNPACK REQUIRED)
find_library(PTHREADPOOL_LIB pthreadpool REQUIRED)
find_library(CPUINFO_LIB cpuinfo REQUIRED)
# oneDNN (libdnnl-dev): the bf16 landmark engine (--landmark-precision bf16). Debian builds it on
# OpenMP, and the engine sets OpenMP's thread count itself, so OpenMP is linked too.
find_path(DNNL_INCLUDE oneapi/dnnl/dnnl.hpp REQUIRED)
find_library(DNNL_LIB dnnl REQUIRED)
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_path(FLATBUFFERS_INCLUDE flatbuffers/flatbuffers.h REQUIRED)  # header-only use
find_package(OpenCV 4.6 REQUIRED COMPONENTS core imgproc dnn)
find_package(nlohmann_json 3 REQUIRED)

# Taught vocabulary store.
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)

# Transport (GLib, GStreamer, libsoup).
pkg_check_modules(GLIB REQUIRED IMPORTED_TARGET glib-2.0 gobject-2.0 gio-2.0)
pkg_check_modules(GST REQUIRED IMPORTED_TARGET gstreamer-1.0 gstreamer-sdp-1.0 gstreamer-webrtc-1.0)
pkg_check_modules(NICE REQUIRED IMPORTED_TARGET nice)
pkg_check_modules(SOUP REQUIRED IMPORTED_TARGET libsoup-3.0)
pkg_check_modules(QRENCODE REQUIRED IMPORTED_TARGET libqrencode)
find_package(prometheus-cpp REQUIRED COMPONENTS core)  # /metrics: data model + text format only

find_package(GTest REQUIRED)
