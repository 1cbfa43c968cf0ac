#!/usr/bin/env bash
# N sueo instances + HAProxy (+ coturn with --turn) on this machine, one command (after `make run`'s
# setup, or scripts/setup.sh): deploy/local-cluster.sh --instances 3. Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node deploy/local-cluster.mjs "$@"
