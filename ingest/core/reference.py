"""Reference lists the gates and parsers share with dbt: read from the dbt seeds, never copied.

The seeds in `dbt_project/seeds/` are the one list of known labels, codes,
boroughs and measures. dbt loads them into `reference.*`; the gates use the
same files to fail a batch with a label nobody has mapped yet.
"""

from __future__ import annotations

import csv
import functools
import re

from ingest.core.config import SEEDS_DIR


@functools.cache
def seed_rows(seed: str) -> tuple[dict[str, str], ...]:
    with (SEEDS_DIR / f"{seed}.csv").open(newline="", encoding="utf-8") as fh:
        return tuple(csv.DictReader(fh))


def seed_values(seed: str, column: str) -> list[str]:
    """The distinct non-blank values of a seed column, sorted."""
    return sorted({row[column] for row in seed_rows(seed) if row[column]})


_WHOLE_NUMBER = re.compile(r"-?\d+(?:\.0*)?")


def answer_key(value: object) -> str | None:
    """How a published answer is matched to a code-frame seed: a whole number as its digits
    (`1`, `1.0` → `1`), text with case, spacing and curly apostrophes folded (`Don’t  Know` →
    `don't know`). Staging computes the same key (macro `pas_answer_key`)."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if _WHOLE_NUMBER.fullmatch(text):
        return str(int(float(text)))
    return re.sub(r"\s+", " ", text.replace("\u2019", "'"), flags=re.ASCII).lower()


def seed_keys(variable: str, *seeds: str) -> list[str]:
    """Every key a value of `variable` may have in code-frame seeds (`variable`, `label` and, in a
    code frame, `code` columns): each code, and each label (the public files write labels)."""
    keys = set()
    for seed in seeds:
        for row in seed_rows(seed):
            if row["variable"] == variable:
                if row.get("code"):
                    keys.add(answer_key(row["code"]))
                keys.add(answer_key(row["label"]))
    return sorted(keys)


@functools.cache
def borough_lookup() -> dict[str, str]:
    """Lower-cased ONS name or known alias → ONS borough name."""
    by_code = {r["borough_code"]: r["borough_name"] for r in seed_rows("london_boroughs")}
    lookup = {name.lower(): name for name in by_code.values()}
    for row in seed_rows("borough_aliases"):
        lookup[row["alias"].lower()] = by_code[row["borough_code"]]
    return lookup


def squash(text: str) -> str:
    """Case and spacing folded away: how two spellings of one label are compared."""
    return re.sub(r"\s+", " ", text).strip().casefold()


def folded_labels(seed: str, dimension: str) -> set[str]:
    """A label seed's labels of one `dimension`, case and spacing folded (`squash`): how a gate knows them."""
    return {squash(r["label"]) for r in seed_rows(seed) if r["dimension"] == dimension}
