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
# Every file and the libraries each links, resolved to real paths; one dpkg -S for all of them (it
# reads the whole package database on every call).
mapfile -t paths < <(
  for f in "${files[@]}"; do
    readlink -f "$f"
    ldd "$f" | awk '/=> \//{print $3}' | xargs -r readlink -f
  done | sed -E 'p; s#^/usr/lib/#/lib/#' | sort -u)
{
  # Each path also as /lib/…: merged-/usr Debian records some libraries (libc6's) there. A path
  # dpkg does not know (the binary itself, the alias that is not recorded) is skipped.
  dpkg -S "${paths[@]}" 2>/dev/null | cut -d: -f1 | tr ',' '\n' | sed 's/^ *//' || true
  # GStreamer's plugin scanner (run once per cache) and the CA bundle for outgoing TLS.
  echo libgstreamer1.0-0
  echo ca-certificates
} | grep -v '^$' | sort -u
