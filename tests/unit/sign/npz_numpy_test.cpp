// Our .npz against numpy itself (Debian's /usr/bin/python3 with python3-numpy, the training tools'
// reader): numpy.load reads what write_npz wrote, and read_npz reads what numpy.savez and
// numpy.savez_compressed wrote, value for value.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

#include "sign/npz.h"

namespace sueo::sign {
namespace {

struct PythonRun {
  int status = -1;
  std::string output;
};

// `script` is Python source with no single quotes (it goes inside '...' for sh).
PythonRun python(const std::string& script, const std::string& arg) {
  const std::string cmd = "/usr/bin/python3 -c '" + script + "' '" + arg + "' 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  PythonRun run;
  char buf[4096];
  size_t n;
  while (pipe && (n = fread(buf, 1, sizeof buf, pipe.get())) > 0) run.output.append(buf, n);
  run.status = pipe ? pclose(pipe.release()) : -1;
  return run;
}

bool have_numpy() { return python("import numpy", "").status == 0; }

TEST(NpzNumpy, NumpyLoadsWhatWeWrite) {
  if (!have_numpy()) GTEST_SKIP() << "/usr/bin/python3 with numpy (python3-numpy) missing";
  std::vector<float> x(2 * 3 * 258);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) / 7.0f - 3.0f;
  const Npz arrays = {{"X", npy_float32({2, 3, 258}, x)},
                      {"lengths", npy_int32({3, 1})},
                      {"files", npy_strings({"clips/a.mp4", "수어/심장마비.mp4"})}};
  const std::string check = R"PY(
import sys, numpy as np
d = np.load(sys.argv[1])
assert sorted(d.files) == ["X", "files", "lengths"], d.files
X = d["X"]
want = (np.arange(2 * 3 * 258, dtype=np.float32) / np.float32(7) - np.float32(3)).reshape(2, 3, 258)
assert X.dtype == np.float32 and X.shape == (2, 3, 258), (X.dtype, X.shape)
assert np.array_equal(X, want), np.abs(X - want).max()
assert d["lengths"].dtype == np.int32 and list(d["lengths"]) == [3, 1], d["lengths"]
assert list(d["files"]) == ["clips/a.mp4", "\uc218\uc5b4/\uc2ec\uc7a5\ub9c8\ube44.mp4"], d["files"]
print("numpy read", sys.argv[1])
)PY";
  for (const NpzMethod method : {NpzMethod::kStored, NpzMethod::kDeflated}) {
    const std::string path = testing::TempDir() + (method == NpzMethod::kStored ? "for_numpy_stored.npz"
                                                                                : "for_numpy_deflated.npz");
    write_npz(path, arrays, method);
    const PythonRun run = python(check, path);
    EXPECT_EQ(run.status, 0) << run.output;
  }
}

TEST(NpzNumpy, WeReadWhatNumpyWrites) {
  if (!have_numpy()) GTEST_SKIP() << "/usr/bin/python3 with numpy (python3-numpy) missing";
  // Every dtype the landmark sets and training fixtures use, a scalar and an empty array, both ways
  // numpy saves.
  const std::string write = R"PY(
import sys, numpy as np
arrays = dict(
    f4=(np.arange(24, dtype=np.float32) * np.float32(0.5)).reshape(2, 3, 4),
    f8=np.array([0.1, -2.5, 1e30]),
    i4=np.array([7, -8], dtype=np.int32),
    i8=np.array([[2**40], [-3]], dtype=np.int64),
    scalar=np.int64(5),
    empty=np.zeros((0, 258), dtype=np.float32),
    names=np.array(["car_accident", "\uc2ec\uc7a5\ub9c8\ube44"]),
)
np.savez(sys.argv[1] + ".stored.npz", **arrays)
np.savez_compressed(sys.argv[1] + ".deflated.npz", **arrays)
)PY";
  const std::string base = testing::TempDir() + "from_numpy";
  const PythonRun run = python(write, base);
  ASSERT_EQ(run.status, 0) << run.output;
  for (const std::string suffix : {".stored.npz", ".deflated.npz"}) {
    SCOPED_TRACE(suffix);
    const Npz a = read_npz(base + suffix);
    ASSERT_EQ(a.size(), 7u);
    std::vector<float> f4(24);
    for (size_t i = 0; i < f4.size(); ++i) f4[i] = static_cast<float>(i) * 0.5f;
    EXPECT_EQ(a.at("f4").shape, (std::vector<size_t>{2, 3, 4}));
    EXPECT_EQ(a.at("f4").floats(), f4);
    EXPECT_EQ(a.at("f8").floats(), (std::vector<float>{0.1f, -2.5f, 1e30f}));
    EXPECT_EQ(a.at("i4").ints(), (std::vector<int64_t>{7, -8}));
    EXPECT_EQ(a.at("i8").shape, (std::vector<size_t>{2, 1}));
    EXPECT_EQ(a.at("i8").ints(), (std::vector<int64_t>{int64_t{1} << 40, -3}));
    EXPECT_TRUE(a.at("scalar").shape.empty());
    EXPECT_EQ(a.at("scalar").ints(), (std::vector<int64_t>{5}));
    EXPECT_EQ(a.at("empty").shape, (std::vector<size_t>{0, 258}));
    EXPECT_TRUE(a.at("empty").floats().empty());
    EXPECT_EQ(a.at("names").strings(), (std::vector<std::string>{"car_accident", "심장마비"}));
  }
}

}  // namespace
}  // namespace sueo::sign
