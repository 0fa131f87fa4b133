"""Sources: one module per source (`ingest/<source>.py`, declaring `SOURCE`) over the primitives in
`ingest.core`; `ingest.registry` finds them. Nothing here imports `warehouse/` or `dags/`."""
