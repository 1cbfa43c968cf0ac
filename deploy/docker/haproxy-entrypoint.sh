#!/bin/sh
# Renders the balancer's config for $SUEO_INSTANCES and starts HAProxy in the foreground.
#   SUEO_INSTANCES   "sueo1=127.0.0.1:8444 sueo2=127.0.0.1:8445" (or --dns NAME COUNT HOST:PORT)
#   SUEO_CERT/SUEO_KEY  the public certificate and its key (joined into one PEM in /tmp)
#   SUEO_INSTANCE_CA    the CA of the instances' certificates; SUEO_LB_BIND, … as in haproxy.cfg
set -eu
: "${SUEO_INSTANCES:?set SUEO_INSTANCES, e.g. sueo1=127.0.0.1:8444}"
umask 077
run=${TMPDIR:-/tmp}
here=$(dirname "$0")
render=/etc/sueo/render-config.sh
[ -x "$render" ] || render="$here/../haproxy/render-config.sh"   # run from the repository (tests)
cat "${SUEO_CERT:-/certs/cert.pem}" "${SUEO_KEY:-/certs/key.pem}" > "$run/sueo.pem"
export SUEO_LB_CERT="$run/sueo.pem" SUEO_LB_RUNTIME="${SUEO_LB_RUNTIME:-$run/haproxy.sock}"
# shellcheck disable=SC2086 # the list is words on purpose
"$render" $SUEO_INSTANCES > "$run/haproxy.cfg"
exec haproxy -W -db -f "$run/haproxy.cfg"
