"""The national scope (decision 0026): every force's month from the bulk archive as one batch,
counted per force in stop_search_by_force, while the London marts keep counting the Met alone.

SYNTHETIC data from `devdata.scale` (every force, two months, archive zips
only), served by the development mirror over HTTP, through the functions the
DAG tasks call. The figures compared are the generator's own volumes, which
it draws independently of the warehouse.
"""

from __future__ import annotations

import zipfile

import pytest

from devdata import sample, scale
from devdata.mirror import serve, source_environment
from ingest import police_uk, registry
from ingest.core.config import get_settings
from tests.conftest import query
from warehouse import build, pipeline, validated

MONTHS = ["2024-03", "2024-04"]
SCALE = 0.02  # about 1,700 records a month nationally


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    """(settings, volumes, loads): two national months loaded and built; the second load of each is a re-read."""
    root = tmp_path_factory.mktemp("national-data")
    summary = scale.generate(root, forces=43, months=MONTHS, seed=5, scale=SCALE, formats=("archive",))
    sample.write_reference(root)
    home = tmp_path_factory.mktemp("national-home")
    with serve(root) as server:
        settings = get_settings({**source_environment(server), "MAPWH_HOME": str(home), "POLICE_UK_SCOPE": "national",
                                 "POLICE_UK_ARCHIVE_URL": server.url_for(scale.ARCHIVE_DIR) + "/"})
        for name in ("census_population", "london_boundaries"):
            pipeline.load(settings, registry.get(name))
        stops = registry.get("police_uk_stop_search")
        loads = {m: pipeline.load_period(settings, stops, m) for m in MONTHS}
        reloads = {m: pipeline.load_period(settings, stops, m) for m in MONTHS}
        build.build_and_publish(settings)
    return settings, summary["volumes"], loads, reloads


def test_a_national_month_is_one_batch_holding_every_force(national):
    settings, volumes, loads, _ = national
    for month in MONTHS:
        [committed] = loads[month]
        assert committed["status"] == "loaded"
        assert committed["rows"] == sum(volumes[f][month] for f in scale.FORCE_IDS)
        [serving] = [b for b in validated.all_current(settings.validated_dir, police_uk.TABLE.name) if b["period"] == month]
        assert serving["batch_id"] == committed["batch_id"]
        # what landed is the month's stop and search CSVs, every force's, in one zip
        [landed] = (settings.raw_dir / police_uk.NAME / month).glob("*.zip")
        with zipfile.ZipFile(landed) as zf:
            assert zf.namelist() == [scale.archive_member(month, f) for f in sorted(scale.FORCE_IDS)]


def test_re_reading_an_unchanged_national_month_changes_nothing(national):
    _, _, loads, reloads = national
    for month in MONTHS:
        [first], [again] = loads[month], reloads[month]
        assert again.get("unchanged") is True and again["batch_id"] == first["batch_id"]


def test_stop_search_by_force_counts_every_force_as_generated(national):
    settings, volumes, _, _ = national
    counted = {(force, period): searches for force, period, searches in query(
        settings.warehouse_path,
        "select force, period, sum(searches) from marts.stop_search_by_force "
        "where ethnicity_basis = 'self_defined' group by all")}
    expected = {(f, m): volumes[f][m] for f in scale.FORCE_IDS for m in MONTHS if volumes[f][m]}
    assert counted == expected
    # each search once under each basis
    [(self_defined, officer_defined)] = query(
        settings.warehouse_path,
        "select sum(searches) filter (where ethnicity_basis = 'self_defined'), "
        "sum(searches) filter (where ethnicity_basis = 'officer_defined') from marts.stop_search_by_force")
    assert self_defined == officer_defined == sum(expected.values())


def test_the_london_marts_count_the_met_alone(national):
    settings, volumes, _, _ = national
    met = sum(volumes["metropolitan"][m] for m in MONTHS)
    [(stops, forces)] = query(settings.warehouse_path,
                              "select count(*), count(distinct source_format) from marts.fct_stop_search")
    assert stops == met and forces == 1
    [(monthly,)] = query(settings.warehouse_path, "select sum(searches) from marts.stop_search_monthly "
                                                  "where ethnicity_basis = 'self_defined'")
    assert monthly == met
    [(by_force,)] = query(settings.warehouse_path, "select sum(searches) from marts.stop_search_by_force "
                                                   "where ethnicity_basis = 'self_defined' and force = 'metropolitan'")
    assert by_force == met
