# The mapwh runtime image: the pinned requirements.lock, the project's code,
# DAGs, dbt project and expectation suites, run as the non-root user `mapwh`.
# docker-compose.yml runs every Airflow component (api-server, scheduler,
# dag-processor, triggerer, Celery worker) from it.
#
#   docker build -t mapwh .            (docker compose build does the same)
#   docker run --rm mapwh mapwh sources
#
# Three stages: `builder` installs the lock into /opt/venv; `runtime` (the
# default target, what compose runs) copies that venv and the runtime code
# only: no development tools (requirements-dev.lock), no devdata/, no tests;
# `dev` adds the development mirror (devdata/, bin/) to it, for the mirror
# service of the compose end-to-end test (docker/test/compose.yml).
#
# Nothing is resolved at build time: the lock is installed exactly, with
# --no-deps, wheels only, and `pip check` proves it is complete. The image
# holds no secrets; they come from the environment at run time (.env).

# The base: any Debian bookworm image with Python 3.11 (python3 on PATH: the
# official image's /usr/local/bin/python3, or Debian's /usr/bin/python3).
# Users get the official image. `make test-compose` passes a bookworm image it
# builds itself from Debian packages (devdata/compose_e2e.py), because no
# image registry is reachable where it runs. Pinned by tag, not by digest:
# the digest can only be read from a registry, and the same argument must
# also name a local image that has none (decision 0045). Where a registry is
# reachable, pin it: --build-arg BASE_IMAGE=python:3.11-slim-bookworm@sha256:...
ARG BASE_IMAGE=python:3.11-slim-bookworm

# --------------------------------------------------------------------------- builder
FROM ${BASE_IMAGE} AS builder

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt

# Exactly the lock: every pin, no dependency resolution, no source builds.
# uv (in a throwaway venv of this stage) installs it; --compile-bytecode, so no
# process compiles a dependency at import (make install does the same).
COPY requirements.lock /opt/mapwh/requirements.lock
RUN python3 -m venv /opt/uv \
    && /opt/uv/bin/pip install -q --no-deps --only-binary=:all: uv==0.13.9 \
    && python3 -m venv /opt/venv \
    && /opt/uv/bin/uv pip install -q --no-deps --only-binary=:all: --compile-bytecode \
           --python /opt/venv/bin/python -r /opt/mapwh/requirements.lock \
    && /opt/venv/bin/pip check

# --------------------------------------------------------------------------- runtime
FROM ${BASE_IMAGE} AS runtime

# The uid of `mapwh`; docker-compose.yml passes AIRFLOW_UID from .env and
# runs the containers as the same uid (rebuild after changing it).
ARG AIRFLOW_UID=50000

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# curl: the api-server's health check; tini: PID 1 that forwards signals and
# reaps the children (Airflow's task runners, dbt). Installed unless the base
# already has them.
RUN if ! command -v curl >/dev/null || ! test -x /usr/bin/tini; then \
        apt-get update \
        && apt-get install -y --no-install-recommends curl tini \
        && rm -rf /var/lib/apt/lists/*; \
    fi

# The builder's venv: its interpreter links to the same base's python3.
COPY --from=builder /opt/venv /opt/venv

# The project, as a plain copy (no build step: pyproject.toml only declares
# the `mapwh` script, written below). The code finds dags/, dbt_project/ and
# expectations/ beside ingest/ (ingest/core/config.py PROJECT_ROOT), so they
# all live under /opt/mapwh, owned by root and read-only for `mapwh`.
# dbt_project is copied part by part so a local target/ or logs/ never is.
WORKDIR /opt/mapwh
COPY requirements.lock requirements.lock
COPY ingest/ ingest/
COPY warehouse/ warehouse/
COPY dags/ dags/
COPY dbt_project/dbt_project.yml dbt_project/profiles.yml dbt_project/
COPY dbt_project/models/ dbt_project/models/
COPY dbt_project/macros/ dbt_project/macros/
COPY dbt_project/seeds/ dbt_project/seeds/
COPY dbt_project/tests/ dbt_project/tests/
COPY expectations/ expectations/
ENV PYTHONPATH=/opt/mapwh
RUN printf '#!/opt/venv/bin/python\nimport sys\nfrom warehouse.cli import main\nsys.exit(main())\n' > /opt/venv/bin/mapwh \
    && chmod 0755 /opt/venv/bin/mapwh \
    && find /opt/mapwh -name __pycache__ -prune -exec rm -rf {} + \
    && python -m compileall -q /opt/mapwh/ingest /opt/mapwh/warehouse /opt/mapwh/dags

# State: raw zone, validated zone, quarantine, audit, the published DuckDB
# file, logs and AIRFLOW_HOME, on the volume docker-compose.yml mounts here.
ENV MAPWH_HOME=/var/lib/mapwh \
    AIRFLOW_HOME=/var/lib/mapwh/airflow
RUN useradd --uid "${AIRFLOW_UID}" --gid 0 --home-dir /var/lib/mapwh --no-create-home \
        --shell /usr/sbin/nologin mapwh \
    && mkdir -p /var/lib/mapwh/airflow \
    && chown -R mapwh:0 /var/lib/mapwh \
    && chmod -R u=rwX,g=rwX,o= /var/lib/mapwh
USER mapwh
WORKDIR /var/lib/mapwh

# A default for any container of the image: the project imports and its state
# directory is writable. docker-compose.yml gives each Airflow component its
# own, stricter check.
HEALTHCHECK --interval=60s --timeout=30s --start-period=30s --retries=3 \
    CMD python -c "import ingest.registry, warehouse.cli" && test -w "$MAPWH_HOME" || exit 1

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["mapwh", "--help"]

# --------------------------------------------------------------------------- dev
# The runtime plus the development mirror and sample generator (devdata/ needs
# nothing beyond the runtime lock) and bin/: the compose end-to-end test's
# mirror service runs `python -m devdata serve` from it. Never deployed.
FROM runtime AS dev
USER root
WORKDIR /opt/mapwh
COPY devdata/ devdata/
COPY bin/ bin/
RUN python -m compileall -q /opt/mapwh/devdata
USER mapwh
WORKDIR /var/lib/mapwh

# The last stage is what a plain `docker build .` makes: name the runtime again.
FROM runtime
