# HAProxy from Debian 12 with deploy/haproxy/haproxy.cfg; the entrypoint writes the server lines
# from $SUEO_INSTANCES ("sueo1=127.0.0.1:8444 sueo2=…") and joins certificate and key into the one
# PEM file HAProxy reads. Build from the repository root: -f deploy/docker/haproxy.Dockerfile.
ARG BASE=docker.io/library/debian:12
FROM ${BASE}
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy \
 && rm -rf /var/lib/apt/lists/*
COPY deploy/haproxy/haproxy.cfg deploy/haproxy/render-config.sh /etc/sueo/
COPY deploy/docker/haproxy-entrypoint.sh /usr/local/bin/
USER haproxy
ENTRYPOINT ["/usr/local/bin/haproxy-entrypoint.sh"]
