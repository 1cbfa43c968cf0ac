// Taught words in and out of the store as files tools/train reads beside ../shared/data:
//   F.npz   X [N, T_max, 258] float32 zero-padded after `lengths` [N] int32, `labels` [N] (the word of
//           each example), `signers` [N] (the session that taught it: examples of one session are one
//           group for signer-held-out splits), `files` [N] ("taught/<word>/<example id>")
//   F.json  {"format": "sueo-taught-words", "version": 1, "words": [{"word", "gloss", "taught_at_ms",
//           "session", "examples"}]}  (next to F.npz, same stem)
// Thread: any (the store serialises itself).
#pragma once

#include <string>
#include <vector>

#include "store/vocab_store.h"

namespace sueo::store {

// The JSON file that goes with an .npz: "x/words.npz" -> "x/words.json".
std::string sidecar_json(const std::string& npz_path);

// Writes F.npz and F.json; returns the number of words. Throws StoreError / sign::NpzError.
size_t export_words(const VocabStore& store, const std::string& npz_path);

struct ImportReport {
  std::vector<std::string> added;
  std::vector<std::string> skipped;  // already taught (without `replace`)
};

// Reads F.npz (+ F.json for glosses, when present) and adds every word with its examples in one
// transaction: all the file's words or none. Throws InvalidInput / sign::NpzError for a bad file.
ImportReport import_words(VocabStore& store, const std::string& npz_path, bool replace, const std::string& session);

}  // namespace sueo::store
