#!/usr/bin/env bash
# Writes deploy/haproxy/haproxy.cfg to stdout with its server lines (between "# >>> ws-servers" and
# "# <<< ws-servers", and the http-servers twin) replaced:
#   render-config.sh NAME=HOST:PORT ...           one line per instance (deploy/cluster, compose)
#   render-config.sh --dns NAME COUNT HOST:PORT   `server-template` lines resolved through DNS
#                                                 (Kubernetes: a headless Service; deploy/k8s)
set -euo pipefail
template="$(dirname "$0")/haproxy.cfg"
ws=()
http=()
if [[ "${1:-}" == "--dns" ]]; then
  [[ $# -eq 4 ]] || { echo "usage: $0 --dns NAME COUNT HOST:PORT" >&2; exit 2; }
  name=$2 count=$3 target=$4
  opts="resolvers dns init-addr none"
  ws+=("    server-template $name 1-$count $target $opts")
  # A template cannot track the other backend's servers one by one: these check on their own.
  http+=("    server-template $name 1-$count $target $opts check inter 2s")
else
  [[ $# -ge 1 ]] || { echo "usage: $0 NAME=HOST:PORT ... | --dns NAME COUNT HOST:PORT" >&2; exit 2; }
  for spec in "$@"; do
    name=${spec%%=*} address=${spec#*=}
    [[ "$name" != "$spec" && -n "$name" && -n "$address" ]] || { echo "not NAME=HOST:PORT: $spec" >&2; exit 2; }
    ws+=("    server $name $address")
    http+=("    server $name $address track sueo_ws/$name")
  done
fi
WS="$(printf '%s\n' "${ws[@]}")" HTTP="$(printf '%s\n' "${http[@]}")" DNS="${1:-}" awk '
  /# >>> ws-servers/   { print; print ENVIRON["WS"]; skip = 1; next }
  /# >>> http-servers/ { print; print ENVIRON["HTTP"]; skip = 1; next }
  /# <<< /             { skip = 0 }
  !skip                { print }
  # DNS discovery needs a resolvers section (the pod'"'"'s resolv.conf).
  END { if (ENVIRON["DNS"] == "--dns") print "\nresolvers dns\n    parse-resolv-conf\n    hold valid 5s" }
' "$template"
