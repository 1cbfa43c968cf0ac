#!/bin/sh
# Regenerate the committed golden landmark files tests/data/golden/<clip>.json from MediaPipe Holistic
# (needs `npm ci`, Debian's chromium and ffmpeg). Every 2nd frame (~15 fps) of three clips.
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$repo/tests/data/golden"
for clip in c01_hi_s11_f8e48f6c c04_bi_bim_rice_s11_82155dbd c09_face_s11_c6804109; do
  node "$repo/tools/golden/golden.mjs" --clip "$repo/tests/data/clips/$clip.mp4" --every 2 \
    --out "$repo/tests/data/golden/$clip.json"
done
# The pose detector on every frame (MediaPipe reset before each): tests the detection → ROI path.
node "$repo/tools/golden/golden.mjs" --clip "$repo/tests/data/clips/c04_bi_bim_rice_s11_82155dbd.mp4" --every 2 \
  --reset 1 --out "$repo/tests/data/golden/c04_bi_bim_rice_s11_82155dbd.detect.json"
# Three black frames in the middle: the pose is lost and detected again.
node "$repo/tools/golden/golden.mjs" --clip "$repo/tests/data/clips/c10_see_s11_7bbe5bb8.mp4" --every 2 \
  --blank 10:3 --out "$repo/tests/data/golden/c10_see_s11_7bbe5bb8.lost.json"
# A portrait 270×360 crop (a tablet held upright): letterboxing on the other axis.
node "$repo/tools/golden/golden.mjs" --clip "$repo/tests/data/clips/c03_meat_s11_5bf5da80.mp4" --every 2 \
  --crop 270:360:185:0 --out "$repo/tests/data/golden/c03_meat_s11_5bf5da80.portrait.json"
