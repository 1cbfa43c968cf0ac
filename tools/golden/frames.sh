#!/bin/sh
# Decode every N-th frame of a clip to raw RGB24 (width*height*3 bytes per frame, concatenated) on stdout.
# Both sides of the golden comparison (MediaPipe in Chromium, our C++ pipeline) read frames made by
# this one command, so both see the same pixels (lossless, no PNG/JPEG colour handling in between).
# Usage: frames.sh CLIP.mp4 EVERY [W:H:X:Y] > frames.rgb   (optional crop first, e.g. a portrait view)
set -eu
clip=$1
every=${2:-2}
filter="select=not(mod(n\,$every))"
if [ -n "${3:-}" ]; then filter="crop=$3,$filter"; fi
exec ffmpeg -v error -nostdin -i "$clip" -vf "$filter" -fps_mode passthrough -f rawvideo -pix_fmt rgb24 -
