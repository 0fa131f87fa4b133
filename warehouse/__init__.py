"""The pipeline (validated zone, gates, load pipeline, build) and what stands on it (orchestration,
Airflow set-up, console, CLI, generated docs). Imports `ingest`, never `dags/` or `devdata/`."""
