"""The raw contract: how a source module declares the table its parser fills.

Each source module declares one `Table` (its raw schema); this is the only
place its columns are written down. The validated zone writes Parquet with
exactly these types, the build creates `raw.<table>` from it, dbt's staging
models read it with `source()`, and tests prove that the dbt source YAML and
the gate suites name the same columns. Every raw table carries the same three
lineage columns, which the pipeline fills, not the parser: `period` (the
partition the batch serves), `batch_id` (the landed bytes it came from) and
`loaded_at`. Values are kept as published; staging casts and maps them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type
    description: str = ""


LINEAGE_HEAD = (
    Column("period", "VARCHAR", "The partition this batch serves (a month, a sheet, a year...)."),
    Column("batch_id", "VARCHAR", "The validated batch the row came from: source, period and the first 16 hex digits of the landed file's sha256."),
)
LINEAGE_TAIL = (Column("loaded_at", "TIMESTAMP WITH TIME ZONE", "When the batch was committed to the validated zone (UTC)."),)
LINEAGE = tuple(c.name for c in LINEAGE_HEAD + LINEAGE_TAIL)


@dataclass(frozen=True)
class Table:
    """A table of the `raw` schema: the lineage columns around the source's own."""

    name: str
    description: str
    own_columns: tuple[Column, ...]
    # How dbt names it: `source('<dbt source>', '<dbt table>')`; the source YAML
    # in dbt_project/models/staging/<dbt source>/ is generated from this table.
    dbt: tuple[str, str] = ("", "")

    @property
    def columns(self) -> tuple[Column, ...]:
        return LINEAGE_HEAD + self.own_columns + LINEAGE_TAIL

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def parsed_column_names(self) -> list[str]:
        """What a parser returns: every column but the lineage ones."""
        return [c.name for c in self.own_columns]

    @property
    def types(self) -> dict[str, str]:
        return {c.name: c.type for c in self.columns}

    def create_sql(self, schema: str) -> str:
        return create_table_sql(schema, self.name, self.columns)


def quote_ident(name: str) -> str:
    """An SQL identifier, double-quoted (quotes inside doubled): names go into SQL only this way."""
    return '"' + name.replace('"', '""') + '"'


def create_table_sql(schema: str, table: str, columns: tuple[Column, ...]) -> str:
    cols = ",\n  ".join(f"{quote_ident(c.name)} {c.type}" for c in columns)
    return f"create table {quote_ident(schema)}.{quote_ident(table)} (\n  {cols}\n)"


def select_casts(columns: tuple[Column, ...]) -> str:
    """`cast("c" as T) as "c", ...`: rows of a frame with exactly the contract's types."""
    return ", ".join(f"cast({quote_ident(c.name)} as {c.type}) as {quote_ident(c.name)}" for c in columns)
