#!/bin/sh
# Landmarks of the KSL-77 clips that name their signer, through our own C++ pipeline (`sueo extract`),
# for training and for `sueo eval`. Derived from CC BY-NC 4.0 data: written under build/ (gitignored),
# never committed.
#
#   tools/train/extract_ksl77.sh [OUT_DIR]      # default OUT_DIR: build  (needs build/sueo, models/*.tflite)
#
# writes OUT_DIR/ksl77/ksl77.npz            every signer except the held-out one (train.py reads it by default)
#        OUT_DIR/ksl77-heldout/ksl77_s11.npz signer 11, whose six clips are tests/data/clips: never trained on
#
# Only the 63 clips with a signer id (c01 hi, c03 meet, c04 bibimbap, c07 me, c09 face, c10 see; 9-12
# signers each). The 37 other words have 1-2 clips and no signer id (`_sNA_`): a model could neither be
# scored on them by signer nor learn a word from one or two takes, so they are left out.
#
# --every 2: the clips are ~30 fps and the page sends 15 fps, so the model sees the frame rate it
# will see when serving.
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-"$repo/build"}
videos=${SUEO_DATA:-"$repo/../shared/data"}/ksl77/videos
sueo=${SUEO_BIN:-"$repo/build/sueo"}
held_out=11
if [ ! -d "$videos" ]; then
  echo "skipped: $videos is absent (the shared data is not on this machine)" >&2
  exit 77
fi
mkdir -p "$out"
# shellcheck disable=SC2046  # the glob's words are the clip paths
nice -n 10 "$sueo" extract --every 2 --out "$out/ksl77-raw.npz" \
  $(ls "$videos"/c01_*_s[0-9]*_*.mp4 "$videos"/c03_*_s[0-9]*_*.mp4 "$videos"/c04_*_s[0-9]*_*.mp4 \
       "$videos"/c07_*_s[0-9]*_*.mp4 "$videos"/c09_*_s[0-9]*_*.mp4 "$videos"/c10_*_s[0-9]*_*.mp4)
/usr/bin/python3 "$repo/tools/train/ksl77_labels.py" "$out/ksl77-raw.npz" --out-dir "$out" --held-out "$held_out"
