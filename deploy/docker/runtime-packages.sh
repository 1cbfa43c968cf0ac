#!/usr/bin/env bash
# Prints the Debian packages `build/sueo serve` needs at run time, one per line, worked out from the
# built binary rather than listed by hand (scripts/apt-packages.txt stays the one list of what is
# installed to build and test): the packages owning every shared library the binary links, plus
# those owning what GStreamer and GIO load at run time (webrtcbin and the plugins a session uses,
# the TLS module of glib-networking) and their own libraries.
# Run on the machine (or image stage) that built sueo. Used by deploy/docker/Dockerfile.
set -euo pipefail
cd "$(dirname "$0")/../.."
binary=${1:-build/sueo}
arch_dir=/usr/lib/$(gcc -print-multiarch)
# Loaded with dlopen: webrtcbin and what it builds per session (nice, dtls, srtp, sctp), the
# elements the warm-up and tests touch, and GIO's TLS backend for HTTPS/WSS.
plugins=(webrtc nice dtls srtp sctp coreelements)
files=("$binary" "$arch_dir/gio/modules/libgiognutls.so")
for p in "${plugins[@]}"; do
  f="$arch_dir/gstreamer-1.0/libgst$p.so"
  [[ -e $f ]] || { echo "missing GStreamer plugin $f" >&2; exit 1; }
  files+=("$f")
done
{
  for f in "${files[@]}"; do
    { dpkg -S "$(readlink -f "$f")" 2>/dev/null || true; } | cut -d: -f1
    ldd "$f" | awk '/=> \//{print $3}' | while read -r lib; do
      dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib" 2>/dev/null || true
    done | cut -d: -f1
  done
  # GStreamer's plugin scanner (run once per cache) and the CA bundle for outgoing TLS.
  echo libgstreamer1.0-0
  echo ca-certificates
} | sed 's/,.*//' | sort -u
