#!/bin/sh
# Starts coturn with deploy/coturn/turnserver.conf, these settings replaced from the environment:
#   SUEO_TURN_SECRET (required), SUEO_TURN_REALM, SUEO_TURN_TLS_PORT (default 443),
#   SUEO_TURN_CERT / SUEO_TURN_KEY (default /certs/cert.pem, /certs/key.pem),
#   SUEO_TURN_ALLOWED_PEERS ("10.0.0.11 10.0.0.12": the instances' ICE addresses, else none)
set -eu
: "${SUEO_TURN_SECRET:?set SUEO_TURN_SECRET (the same as the sueo instances)}"
umask 077
run=${TMPDIR:-/tmp}
{
  grep -vE '^(static-auth-secret|realm|tls-listening-port|cert|pkey|log-file)=' /etc/sueo/turnserver.conf
  echo "static-auth-secret=$SUEO_TURN_SECRET"
  echo "realm=${SUEO_TURN_REALM:-sueo.local}"
  echo "tls-listening-port=${SUEO_TURN_TLS_PORT:-443}"
  echo "cert=${SUEO_TURN_CERT:-/certs/cert.pem}"
  echo "pkey=${SUEO_TURN_KEY:-/certs/key.pem}"
  echo "log-file=stdout"
  for peer in ${SUEO_TURN_ALLOWED_PEERS:-}; do echo "allowed-peer-ip=$peer"; done
} > "$run/turnserver.conf"
exec turnserver -c "$run/turnserver.conf" --pidfile=
