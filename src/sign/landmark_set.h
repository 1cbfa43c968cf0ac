// A labelled landmark set in the .npz layout tools/train reads (sueo_data.py): X [N, T_max, 258]
// float32 zero-padded after `lengths`, and either `y` indexing `classes` or `labels` per sequence.
// Thread: pure function, any thread.
#pragma once

#include <string>
#include <vector>

#include "sign/layout.h"

namespace sueo::sign {

struct LandmarkSet {
  std::vector<Sequence> sequences;   // unpadded
  std::vector<std::string> classes;  // the set's class name per sequence
};

// Throws NpzError (npz.h) with the file name and the missing or malformed key.
LandmarkSet load_landmark_set(const std::string& path);

}  // namespace sueo::sign
