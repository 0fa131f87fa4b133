# The mapwh runtime image: the pinned requirements.lock, the project's code,
# DAGs, dbt project, expectation suites and development mirror, run as the
# non-root user `mapwh`. docker-compose.yml runs every Airflow component
# (api-server, scheduler, dag-processor, triggerer, Celery worker) from it.
#
#   docker build -t mapwh .            (docker compose build does the same)
#   docker run --rm mapwh mapwh sources
#
# Nothing is resolved at build time: the lock is installed exactly, with
# --no-deps, wheels only, and `pip check` proves it is complete. The image
# holds no secrets; they come from the environment at run time (.env).
FROM python:3.11-slim-bookworm

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
# reaps the children (Airflow's task runners, dbt).
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl tini \
    && rm -rf /var/lib/apt/lists/*

# Exactly the lock: every pin, no dependency resolution, no source builds.
COPY requirements.lock /opt/mapwh/requirements.lock
RUN python -m venv /opt/venv \
    && pip install --no-deps --only-binary=:all: -r /opt/mapwh/requirements.lock \
    && pip check

# The project, as a plain copy (no build step: pyproject.toml only declares
# the `mapwh` script, written below). The code finds dags/, dbt_project/ and
# expectations/ beside ingest/ (ingest/core/config.py PROJECT_ROOT), so they
# all live under /opt/mapwh, owned by root and read-only for `mapwh`.
# dbt_project is copied part by part so a local target/ or logs/ never is.
WORKDIR /opt/mapwh
COPY ingest/ ingest/
COPY warehouse/ warehouse/
COPY dags/ dags/
COPY dbt_project/dbt_project.yml dbt_project/profiles.yml dbt_project/
COPY dbt_project/models/ dbt_project/models/
COPY dbt_project/macros/ dbt_project/macros/
COPY dbt_project/seeds/ dbt_project/seeds/
COPY dbt_project/tests/ dbt_project/tests/
COPY expectations/ expectations/
COPY devdata/ devdata/
COPY bin/ bin/
ENV PYTHONPATH=/opt/mapwh
RUN printf '#!/opt/venv/bin/python\nimport sys\nfrom warehouse.cli import main\nsys.exit(main())\n' > /opt/venv/bin/mapwh \
    && chmod 0755 /opt/venv/bin/mapwh \
    && find /opt/mapwh -name __pycache__ -prune -exec rm -rf {} + \
    && python -m compileall -q /opt/mapwh/ingest /opt/mapwh/warehouse /opt/mapwh/dags /opt/mapwh/devdata

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
