"""The Celery worker's configuration: Airflow's own, and the modules a warm worker imports once.

`AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS=warehouse.celery_config.CELERY_CONFIG`
(docker-compose.yml, the worker) makes the worker import
`warehouse.worker_preload` when it starts, before its pool forks: every task
forked from it then has Great Expectations and the pipeline imported
(decision 0044). Everything else is Airflow's default configuration, read
from Airflow's settings as usual.
"""

from __future__ import annotations

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

PRELOAD = "warehouse.worker_preload"

CELERY_CONFIG = {**DEFAULT_CELERY_CONFIG, "imports": (*DEFAULT_CELERY_CONFIG.get("imports", ()), PRELOAD)}
