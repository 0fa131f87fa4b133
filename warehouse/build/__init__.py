"""Build a new warehouse file, check it, and publish it by atomic swap.

Readers (analysts, BI tools, `mapwh status`) only ever open
`MAPWH_HOME/warehouse.duckdb`; nothing writes to it in place. A build:

1. `prepare` creates `build/warehouse-<id>.duckdb`, copies the validated zone
   into its `raw` schema (an empty table for a source never loaded) and the
   raw-zone manifest and gate history into `audit`;
2. `run_dbt` runs one `dbt build` on it (models, seeds and data tests; in an
   incremental build only those downstream of what changed, and never the
   unit tests, which run in `make test`: `warehouse.selection`), in a child
   process whose environment names the file (nothing in this process changes,
   and dbt's DuckDB handle closes when the child exits); its node log goes to
   `MAPWH_HOME/logs/`;
3. `gate_marts` validates every mart the build rebuilt with its Great
   Expectations suite;
4. `publish` renames the file over `warehouse.duckdb` (POSIX rename is
   atomic: a reader sees the old file or the new one, never half of either).

A build whose inputs the published one already holds stops in `prepare`
(`selection.NothingNew`): nothing is made and nothing published.
If dbt or a gate fails, the new file moves to `quarantine/builds/` with the
report and the published warehouse stays as it was; if `prepare` fails, its
partial file is removed. Each build takes a sequence number when it snapshots
the validated zone (`build/warehouse-<sequence>-<time>.duckdb`), and
`publish` refuses a build older than the one already published, so two
builds racing (the CLI beside a scheduler, two CLIs) can never roll the
warehouse back; both critical sections hold the one-writer lock
(`warehouse.writer`). Under a scheduler the Airflow pool `duckdb_writer` (one
slot) also runs one build task at a time.

The rooms, one concern each (decision 0041): `errors` (BuildFailed,
Superseded), `extensions` (DuckDB's extensions and limits), `numbering`
(build sequence numbers), `basis` (incremental or full, and why),
`prepare_raw` (step 1), `dbt` (step 2), `gating` (step 3), `publishing`
(step 4, and the whole build in one call), `quarantine` (refused builds and
batches). This package re-exports their public names.
"""

from __future__ import annotations

from warehouse.build.basis import (BASIS_FILES, BUILD_LAYOUT, FULL_REFRESH_ASKED, basis_tables, full_build_reason,
                                   incremental_basis, incremental_models, incremental_tables)
from warehouse.build.dbt import TRACEABLE_TESTS, DataTestsFailed, FailedNode, dbt_command, run_dbt, stable_dbt_path
from warehouse.build.errors import BuildFailed, Superseded
from warehouse.build.extensions import EXTENSIONS, duckdb_limits, ensure_duckdb_extensions
from warehouse.build.gating import MART_SCHEMA, gate_marts, gate_part_rows, gate_table, mart_gates, published_row_counts
from warehouse.build.numbering import (BUILD_NAME, build_sequence, ensure_not_superseded, new_build_path,
                                       published_sequence)
from warehouse.build.prepare_raw import prepare
from warehouse.build.publishing import build_and_publish, publish
from warehouse.build.quarantine import quarantine_build, withdraw_batches
from warehouse.selection import refreshed_periods

__all__ = [
    "BASIS_FILES",
    "basis_tables",
    "build_and_publish",
    "BUILD_LAYOUT",
    "BUILD_NAME",
    "build_sequence",
    "BuildFailed",
    "DataTestsFailed",
    "dbt_command",
    "duckdb_limits",
    "ensure_duckdb_extensions",
    "ensure_not_superseded",
    "EXTENSIONS",
    "FailedNode",
    "full_build_reason",
    "FULL_REFRESH_ASKED",
    "gate_marts",
    "gate_part_rows",
    "gate_table",
    "incremental_basis",
    "incremental_models",
    "incremental_tables",
    "mart_gates",
    "MART_SCHEMA",
    "new_build_path",
    "prepare",
    "publish",
    "published_row_counts",
    "published_sequence",
    "quarantine_build",
    "refreshed_periods",
    "run_dbt",
    "stable_dbt_path",
    "Superseded",
    "TRACEABLE_TESTS",
    "withdraw_batches",
]
