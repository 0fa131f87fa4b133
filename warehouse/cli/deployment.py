"""`mapwh setup`: what a deployment needs before its scheduler starts."""

from __future__ import annotations

import argparse

from ingest.core.config import get_settings


def cmd_setup(args: argparse.Namespace) -> int:
    """What a deployment needs before its scheduler starts: `airflow db migrate`, the pools and the UI's login;
    placeholder secrets start nothing."""
    import os
    import sys

    from warehouse import airflow_env, secrets_check

    refused = secrets_check.deployment_placeholders(os.environ)
    if refused:
        print("mapwh setup: refusing to start: " + "; ".join(refused), file=sys.stderr)
        return 2
    settings = get_settings()
    airflow_env.configure(settings)
    airflow_env.ensure_metadata_db(settings)
    pools = airflow_env.ensure_pools(settings)
    print(f"AIRFLOW_HOME {settings.airflow_home}: metadata database migrated; pools imported from {pools}")
    print(f"DAGs folder {airflow_env.DAGS_FOLDER}: every DAG starts unpaused (is_paused_upon_creation=False)")
    try:
        print(airflow_env.ensure_ui_login(settings))
    except ValueError as exc:
        print(f"mapwh setup: {exc}", file=sys.stderr)
        return 2
    return 0
