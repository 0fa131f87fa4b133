"""Benchmark: copying the marts' rows into PostgreSQL with psycopg 3 COPY (`write_row` from Python)
against DuckDB's postgres extension (`ATTACH ... (TYPE postgres)` and `CREATE TABLE ... AS`), and the
whole of `warehouse.serve_pg.publish` (which uses the extension, then adds keys, indexes, comments
and the swap).

    python -m devdata.bench_publish [WAREHOUSE.duckdb] [--repeat N]

Starts a throwaway PostgreSQL cluster (devdata.pgserver), publishes every mart of the file both
ways N times, and prints rows, seconds and rows per second for each (median of N). The extension
path copies rows only; serve_pg also adds keys, indexes and comments, timed separately.
"""

from __future__ import annotations

import argparse
import statistics
import time
from contextlib import closing
from pathlib import Path

import duckdb

from devdata.pgserver import Cluster, server_bindir


def via_extension(settings, db: Path, dsn: str, schema: str) -> int:
    """Rows only, through the connection serve_pg uses (DuckDB with the file and PostgreSQL attached)."""
    import psycopg

    from warehouse.serve_pg import _duckdb_with_postgres

    with psycopg.connect(dsn, autocommit=True) as pg:
        pg.execute(f'drop schema if exists "{schema}" cascade')
        pg.execute(f'create schema "{schema}"')
    rows = 0
    with closing(_duckdb_with_postgres(settings, db, dsn)) as con:
        for (table,) in con.execute("select table_name from information_schema.tables where table_catalog = 'wh' "
                                    "and table_schema = 'marts'").fetchall():
            con.execute(f'create table pg."{schema}"."{table}" as select * from wh.marts."{table}"')  # noqa: S608 - catalog names
            rows += con.execute(f'select count(*) from wh.marts."{table}"').fetchone()[0]  # noqa: S608
    return rows


def via_psycopg(db: Path, dsn: str, schema: str) -> int:
    import psycopg

    from warehouse.serve_pg import pg_type

    rows = 0
    with closing(duckdb.connect(str(db), read_only=True)) as con, psycopg.connect(dsn, autocommit=True) as pg:
        pg.execute(f'drop schema if exists "{schema}" cascade')
        pg.execute(f'create schema "{schema}"')
        for (table,) in con.execute("select table_name from information_schema.tables where table_schema = 'marts'").fetchall():
            columns = con.execute("select column_name, data_type from information_schema.columns where table_schema = 'marts' "
                                  "and table_name = ? order by ordinal_position", [table]).fetchall()
            pg.execute(f'create table "{schema}"."{table}" (' + ", ".join(f'"{n}" {pg_type(t)}' for n, t in columns) + ")")
            reader = con.execute(f'select * from marts."{table}"')  # noqa: S608 - catalog names
            with pg.cursor().copy(f'copy "{schema}"."{table}" from stdin') as copy:
                while batch := reader.fetchmany(50_000):
                    for row in batch:
                        copy.write_row(row)
                    rows += len(batch)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devdata.bench_publish")
    parser.add_argument("warehouse", nargs="?", default="var/warehouse.duckdb")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    db = Path(args.warehouse)
    bindir = server_bindir()
    if bindir is None:
        parser.error("no PostgreSQL server binaries (bin/ensure-postgres installs them)")
    from ingest.core.config import get_settings
    from warehouse import serve_pg

    with Cluster(bindir) as cluster:
        settings = get_settings({"MAPWH_HOME": str(db.parent), "MAPWH_PG_DSN": cluster.dsn()})
        times: dict[str, list[float]] = {"psycopg": [], "extension": [], "publish": []}
        rows = 0
        for _ in range(args.repeat):
            for name, run in (("psycopg", lambda: via_psycopg(db, cluster.dsn(), "bench_psycopg")),
                              ("extension", lambda: via_extension(settings, db, cluster.dsn(), "bench_ext")),
                              ("publish", lambda: sum(serve_pg.publish(settings, db)["tables"].values()))):
                started = time.perf_counter()
                rows = run()
                times[name].append(time.perf_counter() - started)
        median = {name: statistics.median(values) for name, values in times.items()}
        print(f"marts: {rows:,} rows ({db}); medians of {args.repeat}")
        print(f"rows only, psycopg COPY write_row from Python:      {median['psycopg']:.2f} s, {rows / median['psycopg']:,.0f} rows/s")
        print(f"rows only, DuckDB postgres extension (binary COPY): {median['extension']:.2f} s, {rows / median['extension']:,.0f} rows/s")
        print(f"serve_pg.publish (extension + keys, indexes, comments, swap): {median['publish']:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
