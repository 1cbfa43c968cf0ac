#!/bin/sh
# Decode every N-th frame of a clip to raw RGB24 (width*height*3 bytes per frame, concatenated) on stdout.
# Both sides of the golden comparison (MediaPipe in Chromium, our C++ pipeline) read frames made by
# this one command, so both see the same pixels (lossless, no PNG/JPEG colour handling in between).
# Usage: frames.sh CLIP.mp4 EVERY > frames.rgb
set -eu
clip=$1
every=${2:-2}
exec ffmpeg -v error -nostdin -i "$clip" -vf "select=not(mod(n\,$every))" -fps_mode passthrough \
  -f rawvideo -pix_fmt rgb24 -
