"""devdata.usual_way, the pandas-alone baseline, gives the mart's London rows of stop_search_disproportionality.

One small synthetic warehouse: API months 2024-05, 2025-03, 2025-04 and an empty
2025-05 (not a loaded month), and the 2016-06 archive CSV in the older
vocabulary, loaded and built the way the serving tests do. The 2024-05 file
holds stops made just after midnight on 1 May London time, published as
23:xx UTC on 30 April: they are in the window ending 2025-04 only when months
are London months, as the warehouse counts them.
"""

from __future__ import annotations

import json
import math
import shutil
import zipfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from devdata import sample, usual_way
from devdata.mirror import serve, source_environment
from ingest import registry
from ingest.core.config import get_settings
from warehouse import build, pipeline

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"
API_MONTHS = ("2024-05", "2025-03", "2025-04", "2025-05")
ARCHIVE_MONTH = "2016-06"
KEY = ["period_end", "ethnicity_basis", "ethnic_group"]
EXACT = ["period_end", "window_start", "months_in_window", "is_complete", "area", "ethnicity_basis", "ethnic_group",
         "searches", "population", "arrests", "suppressed"]
FLOATS = ["rate_per_1000", "ratio_vs_white", "ratio_ci_low", "ratio_ci_high", "arrest_rate"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(settings of the published warehouse, the sample's root, the files the warehouse loaded)."""
    root = tmp_path_factory.mktemp("sample")
    summary = sample.generate(root, first_month="2024-05", last_month="2025-05", archive_months=(ARCHIVE_MONTH,),
                              empty_months=("2025-05",), with_use_of_force=False)
    home = tmp_path_factory.mktemp("home")
    with serve(root) as server:
        settings = get_settings({**source_environment(server), "MAPWH_HOME": str(home)})
        for name in ("census_population", "london_boundaries"):
            pipeline.load(settings, registry.get(name))
        for month in (*API_MONTHS, ARCHIVE_MONTH):  # the archive month last: its volume is no trailing median
            pipeline.load_period(settings, registry.get("police_uk_stop_search"), month)
    build.build_and_publish(settings)
    files = [root / sample.STOPS_DIR / f"{m}.json" for m in API_MONTHS]
    files += [Path(p) for p in summary["paths"]["archive"]]
    return settings, root, files


@pytest.fixture(scope="module")
def mart(built):
    settings, _, _ = built
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute("select * from marts.stop_search_disproportionality where area = 'London'").df()
    finally:
        con.close()


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for column in ("period_end", "window_start"):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame.sort_values(KEY, ignore_index=True)


def _values(series: pd.Series) -> list:
    return [None if pd.isna(v) else v.item() if hasattr(v, "item") else v for v in series]


def assert_same_rows(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    ours, theirs = _sorted(ours), _sorted(theirs)
    assert len(ours) == len(theirs)
    for column in EXACT:
        assert _values(ours[column]) == _values(theirs[column]), column
    for column in FLOATS:
        a, b = _values(ours[column]), _values(theirs[column])
        assert [v is None for v in a] == [v is None for v in b], f"{column}: nulls differ"
        assert [v for v in a if v is not None] == pytest.approx([v for v in b if v is not None], abs=1e-9), column


def test_the_usual_way_gives_the_marts_london_rows(built, mart):
    _, root, files = built
    ours = usual_way.compute([str(f) for f in files], str(root / sample.CENSUS_PATH), str(SEEDS))
    assert list(ours.columns) == list(mart.columns)  # every column of the mart, in its order
    # 3 loaded API months and the archive month (2025-05 is empty) x 2 bases x 6 groups
    assert len(mart) == 4 * 2 * 6
    assert_same_rows(ours, mart)
    # the rows are not trivial: shown ratios, suppressed rows, zero rows, a 3-month window
    assert (~mart["suppressed"] & mart["ratio_vs_white"].notna() & (mart["ethnic_group"] != "White")).any()
    assert mart["suppressed"].any() and (mart["searches"] == 0).any()
    assert set(mart["months_in_window"]) == {1, 2, 3}


def test_the_test_sees_london_months(built):
    """The 2024-05 file holds stops of 30 April UTC that are May in London: a UTC month would lose them."""
    _, root, _ = built
    records = json.loads((root / sample.STOPS_DIR / "2024-05.json").read_text())
    assert any(r["datetime"].startswith("2024-04-30T23:") for r in records)


def test_archive_zips_and_directories_read_the_same(built, tmp_path):
    """The archive's monthly zip as devdata.scale writes it, and a directory holding it all, give the same rows."""
    _, root, files = built
    census = root / sample.CENSUS_PATH
    api, (archive_csv,) = files[:-1], files[-1:]
    archive = tmp_path / "archive" / f"{ARCHIVE_MONTH}.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"{ARCHIVE_MONTH}/{ARCHIVE_MONTH}-{sample.FORCE}-stop-and-search.csv", archive_csv.read_bytes())
        zf.writestr(f"{ARCHIVE_MONTH}/{ARCHIVE_MONTH}-kent-stop-and-search.csv", b"not this force")
    expected = usual_way.compute(files, census, SEEDS)
    assert_same_rows(usual_way.compute([*api, archive], census, SEEDS), expected)

    # a directory: API months (the force's folder), the zip, and an archive CSV of a month the API serves (ignored)
    folder = tmp_path / "stops" / sample.FORCE
    folder.mkdir(parents=True)
    for f in api:
        shutil.copy(f, folder / f.name)
    shutil.copy(archive_csv, tmp_path / "stops" / f"2025-03-{sample.FORCE}-stop-and-search.csv")
    shutil.copy(archive, tmp_path / "stops" / archive.name)
    found = usual_way.month_files(tmp_path / "stops")
    assert {m: kind for m, (kind, _, _) in found.items()} == {**dict.fromkeys(API_MONTHS, "api"), ARCHIVE_MONTH: "zip"}
    assert_same_rows(usual_way.compute(tmp_path / "stops", census, SEEDS), expected)


def test_empty_input_gives_no_rows(built, tmp_path):
    _, root, _ = built
    (tmp_path / "2025-05.json").write_text("[]")
    frame = usual_way.compute([tmp_path / "2025-05.json"], root / sample.CENSUS_PATH, SEEDS)
    assert frame.empty and list(frame.columns) == usual_way.COLUMNS


def test_rounding_is_duckdbs():
    """round(x, 4) in DuckDB: halves away from zero (numpy and Python round halves to even)."""
    assert list(usual_way.db_round(pd.Series([0.03125, 0.15625, -0.03125, 2.0, math.nan]))[:4]) == [0.0313, 0.1563, -0.0313, 2.0]
    assert math.isnan(usual_way.db_round([math.nan])[0])
    values = [k / 64 for k in range(-300, 300)] + [k / 1e5 + 5e-5 for k in range(0, 3000, 7)] + [1234.56785, 0.1 + 0.2]
    con = duckdb.connect()
    try:
        duck = [r for (r,) in con.execute("select round(x, 4) from unnest(?::double[]) with ordinality as t(x, i) order by i",
                                          [values]).fetchall()]
    finally:
        con.close()
    assert list(usual_way.db_round(values)) == duck


def test_main_prints_rows_and_time(built, capsys):
    _, root, files = built
    assert usual_way.main(["--stops", *map(str, files), "--census", str(root / sample.CENSUS_PATH)]) == 0
    assert f"{4 * 2 * 6} rows in" in capsys.readouterr().out

