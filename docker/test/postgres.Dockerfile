# A stand-in for the official postgres:15 image, built from Debian's postgresql-15 on the local
# bookworm base (`make test-compose`: no image registry is reachable there; decision 0045). It
# honours what docker-compose.yml uses of the official image: POSTGRES_USER, POSTGRES_PASSWORD,
# POSTGRES_DB, the scripts in /docker-entrypoint-initdb.d/ run on first start, PGDATA at
# /var/lib/postgresql/data (the named volume), pg_isready on PATH. Runs as `postgres` throughout.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-15 \
    && rm -rf /var/lib/apt/lists/* /var/lib/postgresql/15 /etc/postgresql/15 \
    && mkdir -p /docker-entrypoint-initdb.d /var/lib/postgresql/data /var/run/postgresql \
    && chown postgres:postgres /var/lib/postgresql/data /var/run/postgresql \
    && chmod 0700 /var/lib/postgresql/data
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
USER postgres
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/bin/tini", "--", "docker-entrypoint.sh"]
CMD ["postgres"]
