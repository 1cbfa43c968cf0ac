#!/usr/bin/env bash
# Makes the HTTPS certificate for `sueo serve` with mkcert: a local CA (kept in certs/ca/, its key
# never served) and a server certificate for localhost, 127.0.0.1, ::1 and every LAN IPv4 address of
# this machine. Re-made when the set of addresses changes.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p certs/ca
export CAROOT="${SUEO_CAROOT:-$(pwd)/certs/ca}"
names=(localhost 127.0.0.1 ::1)
while read -r ip; do names+=("$ip"); done < <(ip -4 -o addr show scope global 2>/dev/null | awk '{split($4,a,"/"); print a[1]}')
wanted="${names[*]}"
if [[ -f certs/cert.pem && -f certs/names.txt && "$(cat certs/names.txt)" == "$wanted" ]]; then
  echo "certificate for: $wanted (up to date)"
  exit 0
fi
mkcert -install >/dev/null 2>&1 || echo "note: mkcert could not add the CA to this machine's trust stores (the server still works)"
mkcert -cert-file certs/cert.pem -key-file certs/key.pem "${names[@]}"
cp "$CAROOT/rootCA.pem" certs/rootCA.pem
echo "$wanted" > certs/names.txt
echo "certificate for: $wanted"
echo "root CA to trust on other devices: certs/rootCA.pem (served at /ca)"
