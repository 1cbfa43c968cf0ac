// Reads a parity fixture written by tools/train/parity_fixture.py: raw synthetic sequences, the frames
// Python's trim + resample made of them, and (when a model wrote it) the torch model's scores.
// Thread: test thread.
#pragma once

#include <string>
#include <vector>

#include "sign/layout.h"
#include "sign/npz.h"

namespace sueo::sign::test {

struct ParityFixture {
  std::vector<Sequence> raw;
  std::vector<Sequence> fitted;
  std::vector<std::vector<float>> scores;  // empty when the fixture has no model scores
  std::vector<std::vector<float>> embeddings;  // empty when the model has no embedding output
  int frames = 0;
  int trim_margin = 0;
};

inline std::vector<Sequence> sequences(const NpyArray& array, const std::vector<int64_t>& lengths) {
  const std::vector<float> values = array.floats();
  const size_t n = array.shape[0], t = array.shape[1];
  std::vector<Sequence> out(n);
  for (size_t i = 0; i < n; ++i) {
    out[i].resize(lengths.empty() ? t : static_cast<size_t>(lengths[i]));
    for (size_t f = 0; f < out[i].size(); ++f) {
      std::copy_n(values.data() + (i * t + f) * kFrameValues, kFrameValues, out[i][f].begin());
    }
  }
  return out;
}

inline ParityFixture load_parity(const std::string& path) {
  const auto a = read_npz(path);
  ParityFixture fixture;
  fixture.raw = sequences(a.at("raw"), a.at("raw_lengths").ints());
  fixture.fitted = sequences(a.at("fitted"), {});
  fixture.frames = static_cast<int>(a.at("frames").ints().at(0));
  fixture.trim_margin = static_cast<int>(a.at("trim_margin").ints().at(0));
  const auto rows = [&](const char* key, std::vector<std::vector<float>>& out) {
    if (!a.count(key)) return;
    const auto& s = a.at(key);
    const auto values = s.floats();
    for (size_t i = 0; i < s.shape[0]; ++i) {
      out.emplace_back(values.begin() + static_cast<long>(i * s.shape[1]),
                       values.begin() + static_cast<long>((i + 1) * s.shape[1]));
    }
  };
  rows("scores", fixture.scores);
  rows("embeddings", fixture.embeddings);
  return fixture;
}

}  // namespace sueo::sign::test
