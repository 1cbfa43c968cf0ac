#!/usr/bin/env bash
# Sets up a Debian 12 machine for sueo: apt packages, npm packages, model files, build, dev
# certificates. Safe to run again: each step does only what is missing.
#   scripts/setup.sh            everything
#   scripts/setup.sh --no-certs everything but the mkcert certificates (what the tests need)
set -euo pipefail
cd "$(dirname "$0")/.."
home=$(pwd)
want_certs=1
[[ "${1:-}" == "--no-certs" ]] && want_certs=0

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

step "apt packages"
mapfile -t packages < <(grep -vE '^\s*(#|$)' scripts/apt-packages.txt)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm: Debian ships it as its own package, NodeSource's nodejs bundles it (and conflicts with it).
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # haproxy and coturn are here for the tests and deploy/local-cluster.sh, which start their own on
  # 127.0.0.1. Debian starts their system services on install (coturn would answer on :3478 of every
  # interface): stop and disable the ones this run just installed.
  if [[ -d /run/systemd/system ]]; then
    for service in haproxy coturn; do
      if [[ " ${missing[*]} " == *" $service "* ]]; then
        as_root systemctl disable --now "$service" >/dev/null 2>&1 && echo "stopped the $service system service (sueo runs its own)"
      fi
    done
  fi
else
  echo "all ${#packages[@]} packages present"
fi

step "npm packages (package-lock.json)"
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
else
  echo "node_modules up to date"
fi

step "model files"
if [[ -x models/fetch.sh ]]; then models/fetch.sh; else echo "no models/fetch.sh yet"; fi

step "build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)"

if ((want_certs)); then
  step "dev certificates (mkcert)"
  scripts/make-certs.sh
fi
echo
echo "setup done in $home"
