#include "sign/landmark_set.h"

#include "sign/npz.h"

namespace sueo::sign {

LandmarkSet load_landmark_set(const std::string& path) {
  const auto arrays = read_npz(path);
  const auto need = [&](const std::string& key) -> const NpyArray& {
    const auto it = arrays.find(key);
    if (it == arrays.end()) throw NpzError(path + ": no '" + key + "' array");
    return it->second;
  };
  const NpyArray& x = need("X");
  if (x.shape.size() != 3 || x.shape[2] != kFrameValues) {
    throw NpzError(path + ": X must be [N, T, 258]");
  }
  const size_t n = x.shape[0], t_max = x.shape[1];
  std::vector<int64_t> lengths(n, static_cast<int64_t>(t_max));
  if (arrays.count("lengths")) lengths = need("lengths").ints();
  LandmarkSet set;
  if (arrays.count("labels")) {
    set.classes = need("labels").strings();
  } else {
    const auto names = need("classes").strings();
    for (const int64_t y : need("y").ints()) {
      if (y < 0 || static_cast<size_t>(y) >= names.size())
        throw NpzError(path + ": y out of range of classes");
      set.classes.push_back(names[static_cast<size_t>(y)]);
    }
  }
  if (lengths.size() != n || set.classes.size() != n)
    throw NpzError(path + ": X, lengths and labels disagree in N");
  const std::vector<float> values = x.floats();
  for (size_t i = 0; i < n; ++i) {
    const size_t len = std::min(static_cast<size_t>(std::max<int64_t>(lengths[i], 0)), t_max);
    Sequence seq(len);
    for (size_t f = 0; f < len; ++f) {
      const float* src = values.data() + (i * t_max + f) * kFrameValues;
      std::copy(src, src + kFrameValues, seq[f].begin());
    }
    set.sequences.push_back(std::move(seq));
  }
  return set;
}

}  // namespace sueo::sign
