"""The usual way: `stop_search_disproportionality` for London with pandas alone, straight from the raw files.

The baseline the benchmarks compare the warehouse with: what a competent
analyst would write without DuckDB or dbt. Read every police.uk month of one
force (`stops-force` API JSON, or bulk-archive CSVs, loose or in the
archive's monthly zips), the ONS Census 2021 TS021 (8 categories) CSV and the
lookup tables (the dbt seeds), then group, join the population, take ratios
and intervals. Only the area `London` (every stop of the force; no
point-in-polygon), for both ethnicity bases, one row per 12-month window
ending in a loaded month and broad ethnic group, with the mart's columns.

It follows the warehouse's definitions exactly (the test compares it with
the mart row by row):

- a month is loaded when its file has at least one record (an empty `[]`
  month is not a window end); a month given both ways is read from the API
  file, as the pipeline only falls back to the archive when the API does not
  serve the month;
- a stop belongs to the London calendar month of its UTC `datetime`
  (23:30 UTC on 31 August is September), whichever file it came in;
  unparseable datetimes count nowhere;
- labels are published text: blank (or JSON false/null) is not stated, a
  label is trimmed of spaces and mapped by the seeds (`ethnicity_labels`,
  `outcome_labels`); the API outcome is `outcome_object.name`, else
  `outcome`;
- populations: census rows of the 33 London authority codes
  (`london_boroughs`), categories mapped by code (`census_ethnic_group_codes`;
  -8 has no group), summed;
- the method of docs/decisions/0005 as the mart computes it: rate per 1,000,
  ratio against White, 95% interval exp(ln ratio +/- 1.96 sqrt(1/a + 1/b)),
  suppression below 10 searches or 100 residents, and DuckDB's `round(x, 4)`
  (half away from zero).

What it does not do is what the warehouse adds around the figures: gates,
quarantine, revisions, lineage, boroughs. `python -m devdata.usual_way
--stops DIR --census CSV` prints the row count, the time and the peak memory.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import re
import resource
import sys
import time
import zipfile
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

SEEDS_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"
FORCE = "metropolitan"
LONDON_TZ = "Europe/London"
AREA = "London"
BASES = ("self_defined", "officer_defined")
NOT_STATED = "Not stated"
WHITE = "White"

API_NAME = re.compile(r"^(?P<month>\d{4}-\d{2})\.json$")
ARCHIVE_NAME = re.compile(r"(?P<month>\d{4}-\d{2})-(?P<force>[a-z0-9-]+?)-stop-and-search\.csv$")
# archive CSV column -> the name used here
ARCHIVE_COLUMNS = {
    "Date": "datetime",
    "Self-defined ethnicity": "self_defined",
    "Officer-defined ethnicity": "officer_defined",
    "Outcome": "outcome",
}
COLUMNS = [
    "period_end", "window_start", "months_in_window", "is_complete", "area", "ethnicity_basis", "ethnic_group",
    "searches", "population", "rate_per_1000", "ratio_vs_white", "ratio_ci_low", "ratio_ci_high", "arrests",
    "arrest_rate", "suppressed",
]


# --------------------------------------------------------------------------- which file serves which month
def month_files(stops: str | Path | Iterable[str | Path], force: str = FORCE) -> dict[str, tuple[str, Path, str | None]]:
    """{month: (kind, path, zip member)} for the files and directories given, one source per month.

    Directories are searched for `YYYY-MM.json` (directly in them, or in a
    folder named after the force), `YYYY-MM-<force>-stop-and-search.csv` and
    archive zips (members of that name). API beats archive CSV beats zip.
    """
    items = [stops] if isinstance(stops, (str, Path)) else list(stops)
    found: list[tuple[int, str, str, Path, str | None]] = []

    def add_file(path: Path) -> None:
        if (m := API_NAME.match(path.name)):
            found.append((0, m["month"], "api", path, None))
        elif (m := ARCHIVE_NAME.search(path.name)) and m["force"] == force:
            found.append((1, m["month"], "csv", path, None))
        elif path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                for member in zf.namelist():
                    if (m := ARCHIVE_NAME.search(member)) and m["force"] == force:
                        found.append((2, m["month"], "zip", path, member))
        else:
            raise ValueError(f"{path}: not a stops-force month (YYYY-MM.json), an archive CSV or zip")

    for item in items:
        path = Path(item)
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                if not p.is_file():
                    continue
                if API_NAME.match(p.name):
                    if p.parent == path or p.parent.name == force:
                        add_file(p)
                elif ARCHIVE_NAME.search(p.name) or p.suffix == ".zip":
                    add_file(p)
        else:
            add_file(path)
    chosen: dict[str, tuple[str, Path, str | None]] = {}
    for _, month, kind, path, member in sorted(found, key=lambda f: (f[1], f[0])):
        chosen.setdefault(month, (kind, path, member))
    return chosen


# --------------------------------------------------------------------------- reading
def _outcome(record: dict) -> object:
    name = _text((record.get("outcome_object") or {}).get("name"))
    return name if name is not None else _text(record.get("outcome"))


def read_api_month(path: Path) -> pd.DataFrame:
    """One `stops-force` answer: the four fields the figures need, as published."""
    records = json.loads(Path(path).read_bytes())
    return pd.DataFrame({
        "datetime": [r.get("datetime") for r in records],
        "self_defined": [r.get("self_defined_ethnicity") for r in records],
        "officer_defined": [r.get("officer_defined_ethnicity") for r in records],
        "outcome": [_outcome(r) for r in records],
    }, dtype=object)


def read_archive_csv(data: bytes | Path) -> pd.DataFrame:
    """One bulk-archive CSV (bytes or a path): the same four fields."""
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    frame = pd.read_csv(source, dtype=str, keep_default_na=False, usecols=list(ARCHIVE_COLUMNS), encoding="utf-8-sig")
    return frame.rename(columns=ARCHIVE_COLUMNS)[list(ARCHIVE_COLUMNS.values())]


def read_month(kind: str, path: Path, member: str | None) -> pd.DataFrame:
    if kind == "api":
        return read_api_month(path)
    if kind == "csv":
        return read_archive_csv(Path(path))
    with zipfile.ZipFile(path) as zf:
        return read_archive_csv(zf.read(member))


def _text(value: object) -> str | None:
    """Published text as the loader keeps it: null, JSON false and blanks are nothing."""
    if value is None or value is False or (isinstance(value, float) and value != value):
        return None
    text = str(value)
    return text if text.strip() else None


def _label(value: object) -> str | None:
    """Published text as staging reads it: nothing, or trimmed of spaces (DuckDB's trim)."""
    text = _text(value)
    return None if text is None else (text.strip(" ") or None)


def _lookup(series: pd.Series, table: dict[str, str], when_missing: str, what: str) -> pd.Series:
    """Map published labels through a seed; a blank is `when_missing`, an unknown label NaN (and a warning)."""
    labels = series.map(_label)
    mapped = labels.map(table)
    mapped[labels.isna()] = when_missing
    unknown = sorted(labels[mapped.isna()].unique())
    if unknown:
        log.warning("%s: %d label(s) not in the seed, counted nowhere: %s", what, len(unknown), unknown[:5])
    return mapped


def read_seed(seeds_dir: Path, name: str) -> pd.DataFrame:
    # as dbt loads a seed: an empty field is null, nothing else is
    return pd.read_csv(Path(seeds_dir) / f"{name}.csv", dtype=str, keep_default_na=False, na_values=[""])


def london_population(census_csv: str | Path, seeds_dir: Path) -> pd.Series:
    """Census 2021 usual residents of the 33 London authorities by broad group (index: ethnic_group)."""
    census = pd.read_csv(census_csv, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    area_code, group_code, observation = census.columns[0], census.columns[2], census.columns[4]
    boroughs = set(read_seed(seeds_dir, "london_boroughs")["borough_code"])
    codes = read_seed(seeds_dir, "census_ethnic_group_codes")
    code_to_group = dict(zip(codes["ethnic_group_code"].astype(int), codes["ethnic_group"]))
    census = census[census[area_code].str.strip().isin(boroughs)]
    groups = census[group_code].str.strip().astype(int).map(code_to_group)  # -8: NaN, left out by groupby
    residents = census[observation].str.replace(",", "").str.strip().astype("int64")
    return residents.groupby(groups).sum()


# --------------------------------------------------------------------------- the figures
def db_round(values: pd.Series | np.ndarray, digits: int = 4) -> np.ndarray:
    """DuckDB's round(x, digits) on doubles: std::round(x * 10^d) / 10^d, halves away from zero."""
    scale = 10.0 ** digits
    scaled = np.asarray(values, dtype="float64") * scale
    whole = np.trunc(scaled)
    whole = whole + np.where(np.abs(scaled - whole) >= 0.5, np.sign(scaled), 0.0)
    return whole / scale


def _month_start(index: int) -> pd.Timestamp:
    return pd.Timestamp(year=index // 12, month=index % 12 + 1, day=1)


def compute(stops_files: str | Path | Iterable[str | Path], census_csv: str | Path, seeds_dir: str | Path = SEEDS_DIR,
            *, force: str = FORCE) -> pd.DataFrame:
    """The London rows of `stop_search_disproportionality` from the raw files (columns: COLUMNS)."""
    seeds_dir = Path(seeds_dir)
    ethnicity = read_seed(seeds_dir, "ethnicity_labels")
    outcomes = read_seed(seeds_dir, "outcome_labels")
    groups = sorted(ethnicity["ethnic_group"].dropna().unique())

    # 1. every loaded month of the force, four columns a stop
    frames, loaded = [], []
    for month, (kind, path, member) in sorted(month_files(stops_files, force).items()):
        frame = read_month(kind, path, member)
        if len(frame):
            frames.append(frame)
            loaded.append(int(month[:4]) * 12 + int(month[5:]) - 1)
    if not loaded:
        return pd.DataFrame(columns=COLUMNS)
    stops = pd.concat(frames, ignore_index=True)
    del frames

    # 2. London month, broad groups under both bases, arrests
    texts = stops["datetime"].map(_label)
    when = pd.to_datetime(texts, format="ISO8601", utc=True, errors="coerce").dt.tz_convert(LONDON_TZ)
    month = when.dt.year * 12 + when.dt.month - 1  # NaN when unparseable: counted nowhere
    outcome_category = _lookup(stops["outcome"], dict(zip(outcomes["label"], outcomes["outcome_category"])),
                               "Other / unknown", "outcome")
    arrest = (outcome_category == "Arrest").astype("int64")
    to_group = dict(zip(ethnicity["label"], ethnicity["ethnic_group"]))
    long = pd.concat([
        pd.DataFrame({"ethnicity_basis": basis, "ethnic_group": _lookup(stops[basis], to_group, NOT_STATED, basis),
                      "month": month, "arrest": arrest})
        for basis in BASES
    ], ignore_index=True)
    del stops
    long = long.dropna(subset=["month", "ethnic_group"])
    long["month"] = long["month"].astype("int64")

    # 3. searches and arrests a month, then summed over each 12-month window (a rolling sum over every month)
    monthly = long.groupby(["month", "ethnicity_basis", "ethnic_group"])["arrest"].agg(searches="size", arrests="sum")
    wide = monthly.unstack(["ethnicity_basis", "ethnic_group"], fill_value=0)
    first = min(min(loaded), int(wide.index.min()) if len(wide) else min(loaded))
    every_month = pd.RangeIndex(first, max(loaded) + 1, name="month")
    wide = wide.reindex(every_month, fill_value=0).astype("float64")
    windowed = wide.rolling(12, min_periods=1).sum().loc[loaded]
    counts = windowed.stack(["ethnicity_basis", "ethnic_group"], future_stack=True).astype("int64").reset_index()
    months_in_window = pd.Series(1.0, index=loaded).reindex(every_month, fill_value=0.0).rolling(12, min_periods=1).sum()

    windows = pd.DataFrame({"month": loaded, "months_in_window": months_in_window.loc[loaded].astype("int32").to_numpy()})
    windows["period_end"] = [_month_start(m) for m in windows["month"]]
    windows["window_start"] = [_month_start(m - 11) for m in windows["month"]]
    windows["is_complete"] = windows["months_in_window"] == 12

    # 4. every group in every window and basis, zeros included; the population beside it
    grid = windows.merge(pd.DataFrame({"ethnicity_basis": list(BASES)}), how="cross")
    grid = grid.merge(pd.DataFrame({"ethnic_group": groups}), how="cross")
    grid = grid.merge(counts, on=["month", "ethnicity_basis", "ethnic_group"], how="left")
    grid[["searches", "arrests"]] = grid[["searches", "arrests"]].fillna(0).astype("int64")
    population = london_population(census_csv, seeds_dir)
    grid["population"] = grid["ethnic_group"].map(population).astype("Int64")
    grid.loc[grid["ethnic_group"] == NOT_STATED, "population"] = pd.NA
    grid["area"] = AREA

    # 5. rates, the White reference of the same window and basis, suppression, ratio and interval
    searches = grid["searches"].to_numpy("float64")
    pop = grid["population"].to_numpy("float64", na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(pop > 0, searches * 1000.0 / pop, np.nan)
        grid["rate_exact"] = rate
        white = grid.loc[grid["ethnic_group"] == WHITE, ["month", "ethnicity_basis", "searches", "population", "rate_exact"]]
        white = white.rename(columns={"searches": "white_searches", "population": "white_population",
                                      "rate_exact": "white_rate"})
        grid = grid.merge(white, on=["month", "ethnicity_basis"], how="left")
        white_searches = grid["white_searches"].to_numpy("float64", na_value=np.nan)
        white_pop = grid["white_population"].to_numpy("float64", na_value=np.nan)
        not_stated = (grid["ethnic_group"] == NOT_STATED).to_numpy()
        is_white = (grid["ethnic_group"] == WHITE).to_numpy()
        suppressed = ~not_stated & ((searches < 10) | (np.nan_to_num(white_searches) < 10)
                                    | (np.nan_to_num(pop) < 100) | (np.nan_to_num(white_pop) < 100))
        shown = ~suppressed & ~not_stated
        ratio = np.where(shown, grid["rate_exact"].to_numpy() / grid["white_rate"].to_numpy("float64"), np.nan)
        margin = np.where(shown & ~is_white, 1.96 * np.sqrt(1.0 / searches + 1.0 / white_searches),
                          np.where(shown & is_white, 0.0, np.nan))
        arrests = grid["arrests"].to_numpy("float64")
        grid["rate_per_1000"] = db_round(rate)
        grid["ratio_vs_white"] = db_round(ratio)
        grid["ratio_ci_low"] = db_round(np.exp(np.log(ratio) - margin))
        grid["ratio_ci_high"] = db_round(np.exp(np.log(ratio) + margin))
        grid["arrest_rate"] = db_round(np.where(~suppressed & (searches > 0), arrests / searches, np.nan))
    grid["suppressed"] = suppressed
    return grid[COLUMNS].sort_values(["period_end", "ethnicity_basis", "ethnic_group"], ignore_index=True)


# --------------------------------------------------------------------------- CLI
def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devdata.usual_way",
        description="stop_search_disproportionality for London with pandas alone, from the raw police.uk and census files.")
    parser.add_argument("--stops", nargs="+", required=True,
                        help="stops-force month files (YYYY-MM.json), archive CSVs or zips, or directories holding them")
    parser.add_argument("--census", required=True, help="ONS Census 2021 TS021 (8 categories) CSV")
    parser.add_argument("--seeds", default=str(SEEDS_DIR), help=f"the lookup tables (default {SEEDS_DIR})")
    parser.add_argument("--force", default=FORCE, help=f"police.uk force id (default {FORCE})")
    parser.add_argument("--out", type=Path, help="write the rows to this CSV")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    started = time.perf_counter()
    frame = compute(args.stops, args.census, args.seeds, force=args.force)
    elapsed = time.perf_counter() - started
    if args.out:
        frame.to_csv(args.out, index=False)
    print(f"{len(frame)} rows in {elapsed:.2f} s; peak memory {peak_rss_mib():.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
