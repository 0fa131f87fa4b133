"""The gate checks what the build will check (issue 20, class 1), and a batch the build still refuses is
withdrawn, named, so the previous good state and every other new period publish.

Timestamps, control characters, periods and borough labels: each refused at the gate, with the rule the
build uses. The last test lets one such batch past a gate (the gate of today's code, pandas' parser) and
builds: dbt's failing test is named, its batch withdrawn and quarantined, and the build goes on.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from devdata import sample
from devdata.mirror import serve, source_environment
from ingest import police_uk, registry
from ingest.core.config import get_settings
from ingest.core.http import Fetched
from ingest.core.source import implausible_period, latest_plausible_end, period_span
from tests.warehouse.conftest import stops_file
from warehouse import gates, pipeline, validated
from warehouse.gates import GateFailed
from warehouse.reconcile import reconcile

STOPS = registry.get("police_uk_stop_search")
TABLE = STOPS.table.name


def load(settings, month: str) -> list[dict]:
    (planned,) = pipeline.plan(settings, STOPS, month)
    return pipeline.load_planned(settings, STOPS, planned)


def holds(settings) -> bool:
    return all(r.holds for r in reconcile(settings))


# --------------------------------------------------------------------------- timestamps
@pytest.mark.parametrize("stamp", [
    "2024-03-31T23:59:60+00:00",  # a leap second: pandas rolls it into the next minute, DuckDB reads null
    "2024-03-05t10:00:00+00:00",  # lower-case t
    "2024-03-05T10:00:00z",  # lower-case z
    "2024-03-05T25:00:00+00:00",
])
def test_a_timestamp_the_build_reads_as_null_is_refused_at_the_gate(settings, mirror_root, stamp):
    records = json.loads(stops_file(mirror_root, "2024-03").read_bytes())
    records[0]["datetime"] = stamp
    stops_file(mirror_root, "2024-03").write_text(json.dumps(records))
    with pytest.raises(GateFailed, match="datetime"):
        load(settings, "2024-03")
    assert validated.current(settings.validated_dir, TABLE, "2024-03") is None and holds(settings)


TIMESTAMPS = st.builds(
    lambda y, mo, d, h, mi, s, sep, zone: f"{y:04d}-{mo:02d}-{d:02d}{sep}{h:02d}:{mi:02d}:{s:02d}{zone}",
    st.integers(1999, 2030), st.integers(0, 13), st.integers(0, 32), st.integers(0, 25), st.integers(0, 61),
    st.integers(0, 61), st.sampled_from(["T", "t", " ", "_"]), st.sampled_from(["", "Z", "z", "+00:00", "+01:00", "-0500", " UTC"]))


@given(st.lists(TIMESTAMPS, min_size=1, max_size=20))
def test_the_gate_reads_every_timestamp_to_the_instant_the_build_reads(stamps):
    """The gate's reading of a published datetime is the build's: the staging model's own SQL (the dbt macro
    `published_timestamp`), run by DuckDB with the build's session time zone; null exactly where staging gets null."""
    import duckdb
    import pandas as pd

    gate = police_uk.parse_published_datetimes(pd.Series(stamps, dtype=object))
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    staging = [con.execute("select timezone('UTC', try_cast(nullif(trim(?), '') as timestamptz))", [s]).fetchone()[0]
               for s in stamps]
    for stamp, seen, built in zip(stamps, gate, staging):
        if built is None or not (1900 <= built.year < 2200):
            assert pd.isna(seen), stamp
        else:
            assert seen == pd.Timestamp(built), stamp


# --------------------------------------------------------------------------- control characters
@given(st.sampled_from([chr(c) for c in [*range(0, 9), 11, 12, *range(14, 32), *range(127, 160)]]),
       st.sampled_from(["street_name", "object_of_search", "legislation", "outcome"]))
def test_a_control_character_in_any_text_fails_the_expectation_every_batch_gets(character, column):
    import pandas as pd

    columns = ["street_name", "object_of_search", "legislation", "outcome"]
    view = pd.DataFrame({c: ["Main Street\tin\nLondon – £5 ©", None, "ok"] for c in columns}, dtype=object)
    view.loc[1, column] = f"Main{character}Street"
    checked = gates.with_control_check(view, columns)[gates.CONTROL_COLUMN]
    assert checked.isna().tolist() == [True, False, True]
    assert checked[1].startswith(f"{column}: ")
    (expectation,) = gates.text_expectations()
    assert expectation["kwargs"]["column"] == gates.CONTROL_COLUMN


def test_a_nul_in_a_text_value_is_refused_at_the_gate(settings, mirror_root):
    records = json.loads(stops_file(mirror_root, "2024-03").read_bytes())
    located = next(r for r in records if r.get("location"))
    located["location"]["street"]["name"] = "On or near Main\x00Street"
    stops_file(mirror_root, "2024-03").write_text(json.dumps(records))
    with pytest.raises(GateFailed, match="street_name"):
        load(settings, "2024-03")
    (entry,) = list((settings.quarantine_dir / STOPS.name / "2024-03").iterdir())
    assert gates.CONTROL_COLUMN in (entry / "reason.txt").read_text() and holds(settings)


# --------------------------------------------------------------------------- plausible periods
def test_a_month_in_the_future_on_the_availability_list_is_not_planned(settings, mirror_root, caplog):
    availability = mirror_root / sample.AVAILABILITY_PATH
    entries = json.loads(availability.read_text())
    availability.write_text(json.dumps([{**entries[0], "date": "2099-12"}, *entries]))
    months = police_uk.months_available(availability.read_bytes(), "metropolitan")
    assert "2099-12" not in months and months[-1] == "2024-05"
    assert "2099-12" in caplog.text and "in the future" in caplog.text


@pytest.mark.parametrize("period, why", [("1900-10", "before"), ("2099-12", "in the future")])
def test_a_batch_dated_outside_the_sources_window_is_refused_by_the_gate(settings, mirror_root, period, why):
    content = stops_file(mirror_root, "2024-03").read_bytes()
    (planned,) = pipeline.plan(settings, STOPS, "2024-03")
    url = planned.locations[0].replace("2024-03", period)
    with pytest.raises(GateFailed, match=why):
        pipeline.ingest_bytes(settings, STOPS, Fetched(url, content, 200, "", 0.0), period)
    assert validated.current(settings.validated_dir, TABLE, period) is None and holds(settings)


@pytest.mark.parametrize("source, period", [("workforce", "2099-03-31"), ("workforce_joiners", "2099-00"),
                                            ("pas_microdata", "2031-32"), ("census_population", "2099")])
def test_every_dated_source_refuses_a_period_in_the_future(source, period):
    assert "in the future" in implausible_period(registry.get(source), period, date(2026, 12, 6))


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.integers(-400, 40))
def test_a_month_is_plausible_exactly_when_it_ends_by_today_plus_the_margin(today, offset):
    index = today.year * 12 + today.month - 1 + offset
    period = f"{index // 12:04d}-{index % 12 + 1:02d}"
    first, last = period_span("month", period)
    why = implausible_period(STOPS, period, today)
    too_early = first < period_span("month", STOPS.first_period)[0]
    assert bool(why) == (too_early or last > latest_plausible_end("month", today)), (period, today, why)
    assert latest_plausible_end("month", today) == today + timedelta(days=45)


# --------------------------------------------------------------------------- borough labels
def test_a_boundary_named_with_a_look_alike_letter_is_refused_at_the_gate(shared_data, tmp_path):
    geojson = json.loads((shared_data / "geo" / "london_boroughs.geojson").read_text())
    for feature in geojson["features"]:
        for key in ("name", "NAME", "LAD22NM", "LAD21NM", "lad22nm", "borough"):
            if feature["properties"].get(key) == "Camden":
                feature["properties"][key] = "\u0421amden"  # CYRILLIC CAPITAL LETTER ES
    path = tmp_path / "boroughs.geojson"
    path.write_text(json.dumps(geojson))
    settings = get_settings({"MAPWH_HOME": str(tmp_path / "var"), "LONDON_BOUNDARIES_URL": str(path)})
    with pytest.raises(GateFailed, match="name"):
        pipeline.load(settings, registry.get("london_boundaries"))
    assert holds(settings)


# --------------------------------------------------------------------------- a batch the build refuses
def test_a_batch_that_passes_its_gate_but_fails_a_dbt_test_is_withdrawn_and_the_build_goes_on(shared_data, tmp_path, monkeypatch):
    """Today's gate (pandas' parser) lets a leap second through; dbt's not_null test on searched_at fails.
    The build names the test, withdraws that month's batch (quarantined with the reason), builds again and
    publishes: the months before it and the good month after it are served, and the same bytes are refused
    if they come again."""
    import pandas as pd

    from ingest.core.files import read_jsonl
    from tests.conftest import query
    from warehouse import build

    months = shared_data / "police_uk" / "stops-force" / "metropolitan"
    with serve(shared_data) as server:
        settings = get_settings({**source_environment(server), "MAPWH_HOME": str(tmp_path / "var")})
        for name in ("census_population", "london_boundaries"):
            pipeline.load(settings, registry.get(name))
        for month in ("2024-09", "2024-10"):
            pipeline.load_period(settings, STOPS, month)
        build.build_and_publish(settings)

        records = json.loads((months / "2024-11.json").read_text())
        records[0]["datetime"] = "2024-11-30T23:59:60+00:00"
        leap = json.dumps(records).encode()
        with monkeypatch.context() as patch:  # a gate that misses it, as pandas' parser did (it read 23:59:60 as 00:00:00)
            patch.setattr(police_uk, "parse_published_datetimes",
                          lambda values: pd.Series(pd.Timestamp("2024-11-15 12:00"), index=values.index, name="datetime_utc"))
            (bad,) = pipeline.ingest_bytes(settings, STOPS, Fetched(
                server.url_for("police_uk/stops-force/metropolitan/2024-11.json") + "?force=metropolitan&date=2024-11",
                leap, 200, "application/json", 0.0), "2024-11")
        pipeline.load_period(settings, STOPS, "2024-12")
        build.build_and_publish(settings)

    served = dict(query(settings.warehouse_path, "select period, count(*) from marts.fct_stop_search group by 1"))
    assert set(served) == {"2024-09", "2024-10", "2024-12"}
    (withdrawal,) = read_jsonl(settings.audit_dir / "withdrawals.jsonl")
    assert withdrawal["batch_id"] == bad["batch_id"] and withdrawal["serving_now"] is None
    assert any("not_null_int_stop_searches__located_searched_at" in t for t in withdrawal["tests"])
    assert validated.current(settings.validated_dir, TABLE, "2024-11") is None
    (entry,) = list((settings.quarantine_dir / STOPS.name / "2024-11").iterdir())
    assert "not_null_int_stop_searches__located_searched_at" in (entry / "reason.txt").read_text()
    assert list((settings.quarantine_dir / "builds").glob("*-refused-batches/warehouse-*.duckdb"))
    with pytest.raises(pipeline.BatchRejected, match="withdrawn from serving"):
        pipeline.ingest_bytes(settings, STOPS, Fetched("http://x/?force=metropolitan&date=2024-11", leap, 200, "", 0.0), "2024-11")
    assert holds(settings)


@hypothesis_settings(max_examples=12, deadline=None)
@given(st.text(min_size=1, max_size=20))
def test_a_boundary_name_passes_the_gate_exactly_when_the_build_maps_it(tmp_path_factory, name):
    """Hypothesis over names (look-alike letters, spacing, case): the gate passes a file exactly when each
    name is a spelling the build joins to a borough (the seeds), so it never passes what the build cannot name."""
    import pandas as pd

    from ingest.london_boundaries import borough_spellings

    spellings = borough_spellings()
    names = [name, *[s for s in spellings if s != name][:32]]
    frame = pd.DataFrame({"period": "current", "batch_id": "b", "feature_index": range(33), "name": names,
                          "geometry_geojson": "{}", "properties_json": "{}", "loaded_at": "2026-01-01T00:00:00+00:00"})
    home = get_settings({"MAPWH_HOME": str(tmp_path_factory.mktemp("gate"))})
    result = gates.validate(home, "london_boundaries", frame, target="t", batch_id="b",
                            parameters={"known_borough_spellings": spellings})
    assert result.success == (name in spellings), (name, result.summary())
