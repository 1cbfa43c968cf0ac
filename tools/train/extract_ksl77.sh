#!/bin/sh
# Landmarks of all 120 KSL-77 clips through our own C++ pipeline (`sueo extract`), split as
# models/splits.json says (tools/train/ksl77_labels.py), for training, `sueo eval` and calibration.
# Derived from CC BY-NC 4.0 data: written under build/ (gitignored), never committed.
#
#   tools/train/extract_ksl77.sh [OUT_DIR]      # default OUT_DIR: build  (needs build/sueo, models/*.tflite)
#   SUEO_KSL77_RAW=build/ksl77-all-15fps.npz tools/train/extract_ksl77.sh   # reuse an extraction
#
# writes OUT_DIR/ksl77/ksl77.npz                  the six known words, every signer but the test signers
#        OUT_DIR/ksl77-heldout/ksl77_test.npz     test signers 11, 12, 13 (also one file per signer):
#                                                 never trained or tuned on, only scored for reports
#        OUT_DIR/ksl77-oov/ksl77_oov_{calibration,test}.npz   the 37 other words (1-2 clips each, no
#                                                 signer id) in the two halves splits.json names
#
# --every 2: the clips are ~30 fps and the page sends 15 fps, so the model sees the frame rate it
# will see when serving.
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-"$repo/build"}
videos=${SUEO_DATA:-"$repo/../shared/data"}/ksl77/videos
sueo=${SUEO_BIN:-"$repo/build/sueo"}
raw=${SUEO_KSL77_RAW:-}
if [ -z "$raw" ]; then
  if [ ! -d "$videos" ]; then
    echo "skipped: $videos is absent (the shared data is not on this machine)" >&2
    exit 77
  fi
  mkdir -p "$out"
  raw="$out/ksl77-raw.npz"
  # shellcheck disable=SC2046  # the glob's words are the clip paths
  nice -n 10 "$sueo" extract --every 2 --out "$raw" $(ls "$videos"/c*_*.mp4)
fi
/usr/bin/python3 "$repo/tools/train/ksl77_labels.py" "$raw" --out-dir "$out"
