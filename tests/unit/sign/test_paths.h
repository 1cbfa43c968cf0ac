// Where the sign tests find the project's files and the shared data (which may be absent).
// Thread: constants only.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace sueo::sign::test {

inline std::string source(const std::string& relative) {
  return std::string(SUEO_SOURCE_DIR) + "/" + relative;
}
inline std::string shipped_model() { return source("models/sueo-ksl.onnx"); }
inline std::string shipped_parity() { return source("tests/unit/sign/fixtures/sueo-ksl.parity.npz"); }
inline std::string test_model(const std::string& name) { return source("tests/unit/sign/models/" + name); }
// The shared data: $SUEO_DATA (a git worktree elsewhere), else ../shared/data beside the checkout.
inline std::string shared_data() {
  const char* dir = std::getenv("SUEO_DATA");
  return dir && *dir ? dir : source("../shared/data");
}
inline std::string keti6() { return shared_data() + "/ksl-keti6/ksl_keti6_dev_holistic258.npz"; }
inline std::string emergency10() { return shared_data() + "/ksl-emergency10/ksl_emergency10_holistic258.npz"; }
inline bool exists(const std::string& path) { return std::filesystem::exists(path); }
inline std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

}  // namespace sueo::sign::test
