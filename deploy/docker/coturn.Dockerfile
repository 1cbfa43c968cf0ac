# coturn from Debian 12 with deploy/coturn/turnserver.conf; the entrypoint puts the shared secret,
# realm, certificate and ports from the environment into a copy of it (coturn lets the file's values
# win over its command line). Build from the repository root: -f deploy/docker/coturn.Dockerfile.
ARG BASE=docker.io/library/debian:12
FROM ${BASE}
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends coturn \
 && rm -rf /var/lib/apt/lists/*
COPY deploy/coturn/turnserver.conf /etc/sueo/turnserver.conf
COPY deploy/docker/coturn-entrypoint.sh /usr/local/bin/
USER turnserver
ENTRYPOINT ["/usr/local/bin/coturn-entrypoint.sh"]
