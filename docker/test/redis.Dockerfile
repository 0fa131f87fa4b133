# A stand-in for the official redis:7 image, built from Debian's redis-server (7.0) on the local
# bookworm base (`make test-compose`; decision 0045): the server on every address of the container
# (the compose network only: nothing is published), redis-cli on PATH for the health check.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends redis-server \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /data && chown redis:redis /data
USER redis
WORKDIR /data
EXPOSE 6379
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--dir", "/data", "--save", "", "--appendonly", "no"]
