"""Property-based tests (Hypothesis) of the parsers: whatever valid input is generated, the parser
gives back exactly what was published; and a spelling variant of a measure is read as the measure."""

from __future__ import annotations

import csv
import io
import json
import math
import os
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest import census, pas_dashboard, pas_microdata, police_uk

FAST = settings(max_examples=int(os.environ.get("MAPWH_HYPOTHESIS_EXAMPLES", "60")), deadline=None)

text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
maybe_text = st.one_of(st.none(), text)
coordinate = st.floats(min_value=-90, max_value=90, allow_nan=False).map(lambda f: f"{f:.6f}")


def _published_text(value):
    """What `_text` keeps: text as is, blank and null as null."""
    return value if isinstance(value, str) and value.strip() else None


api_record = st.fixed_dictionaries({
    "type": maybe_text,
    "involved_person": st.one_of(st.none(), st.booleans()),
    "datetime": maybe_text,
    "operation": st.one_of(st.none(), st.booleans()),
    "operation_name": maybe_text,
    "location": st.one_of(st.none(), st.fixed_dictionaries({
        "latitude": coordinate, "longitude": coordinate,
        "street": st.fixed_dictionaries({"id": st.integers(min_value=0, max_value=2**62), "name": maybe_text}),
    })),
    "gender": maybe_text,
    "age_range": maybe_text,
    "self_defined_ethnicity": maybe_text,
    "officer_defined_ethnicity": maybe_text,
    "legislation": maybe_text,
    "object_of_search": maybe_text,
    "outcome": st.one_of(st.just(False), text),
    "outcome_object": st.one_of(st.none(), st.fixed_dictionaries({"id": text, "name": maybe_text})),
    "outcome_linked_to_object_of_search": st.one_of(st.none(), st.booleans()),
    "removal_of_more_than_outer_clothing": st.one_of(st.none(), st.booleans()),
})


@FAST
@given(st.lists(api_record, max_size=8))
def test_api_records_come_back_as_published(records):
    frame = police_uk.parse_api_records(json.dumps(records).encode(), period="2024-09")
    assert len(frame) == len(records) and frame["record_index"].tolist() == list(range(len(records)))
    for row, rec in zip(frame.to_dict("records"), records):
        location = rec["location"] or {}
        assert row["latitude"] == location.get("latitude") and row["longitude"] == location.get("longitude")
        assert row["street_id"] == (location.get("street") or {}).get("id")
        for field in ("type", "datetime", "gender", "age_range", "self_defined_ethnicity", "legislation"):
            assert row[field] == _published_text(rec[field])
        for field in ("involved_person", "operation", "removal_of_more_than_outer_clothing"):
            assert row[field] is rec[field] or (row[field] is None and rec[field] is None)
        expected_outcome = _published_text((rec["outcome_object"] or {}).get("name")) or _published_text(rec["outcome"] or None)
        assert row["outcome"] == expected_outcome


quarter_end = st.sampled_from([date(y, m, d) for y in range(2015, 2024) for m, d in ((3, 31), (6, 30), (9, 30), (12, 31))])
measure_variant = st.tuples(st.sampled_from(pas_dashboard.MEASURES), st.sampled_from([str.upper, str.lower, str.title, str]),
                            st.sampled_from(["", " ", "  "])).map(lambda t: t[2] + t[1](t[0]).replace(" ", " " + t[2]) + t[2])
proportion = st.integers(min_value=0, max_value=100).map(lambda n: n / 100)


@FAST
@given(
    rows=st.lists(st.tuples(quarter_end, measure_variant, proportion), min_size=1, max_size=12),
    dialect=st.sampled_from(["semicolon", "comma-quoted", "comma-points"]),
    padded=st.booleans(), crlf=st.booleans(), bom=st.booleans(), trailing=st.integers(min_value=0, max_value=2),
)
def test_every_dashboard_dialect_reads_the_same_values(rows, dialect, padded, crlf, bom, trailing):
    delimiter = ";" if dialect == "semicolon" else ","
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n")
    writer.writerow([*pas_dashboard.HEADER, *[""] * trailing])
    for end, measure, value in rows:
        day = f"{end.day:02d}/{end.month:02d}/{end.year}" if padded else f"{end.day}/{end.month}/{end.year}"
        number = f"{value:.2f}" if dialect == "comma-points" else f"{value:.2f}".replace(".", ",")
        writer.writerow([day, "PAS", "MPS", measure, number, *[""] * trailing])
    content = (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode()
    (frame,) = pas_dashboard.parse_sheets(content, "generated.csv").values()
    assert frame["quarter_end"].tolist() == [end for end, _, _ in rows]
    spelt = {" ".join(m.split()).casefold(): m for m in pas_dashboard.MEASURES}
    assert frame["measure"].tolist() == [spelt[" ".join(m.split()).casefold()] for _, m, _ in rows]  # the dashboard's spelling
    assert all(math.isclose(got, want) for got, want in zip(frame["proportion"], (v for _, _, v in rows)))


@FAST
@given(st.lists(st.tuples(st.from_regex(r"E0[6-9]\d{6}", fullmatch=True), st.sampled_from([-8, 1, 2, 3, 4, 5, 6, 7]),
                          st.integers(min_value=0, max_value=9_999_999)), min_size=1, max_size=10))
def test_census_observations_come_back_as_published(rows):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Upper tier local authorities Code", "Upper tier local authorities", census.CATEGORY_CODE_COLUMN, "Ethnic group", "Observation"])
    for code, category, observation in rows:
        writer.writerow([code, "Somewhere, with a comma", category, "label", f"{observation:,}"])
    frame = census.parse_ts021_csv(out.getvalue().encode())
    assert list(zip(frame["area_code"], frame["ethnic_group_code"], frame["observation"])) == rows


@FAST
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=11), st.sampled_from([1, 2, 3, 4, 5, 9]),
                          st.floats(min_value=0.01, max_value=10, allow_nan=False)), min_size=1, max_size=10),
       st.integers(min_value=2018, max_value=2023))
def test_microdata_codes_and_weights_come_back_as_published(rows, fy):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["SERIAL", "MONTH", "Borough", "ReNNQ147", "NQ135BD", "Q60", "Q61", "Q62A", "Q62C", "Q62TG", "WT_Discrete"])
    months = ["Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar"]
    for serial, (month, answer, weight) in enumerate(rows):
        year = fy + (1 if month >= 9 else 0)
        writer.writerow([serial, f"FY {fy % 100:02d}/{(fy + 1) % 100:02d} - Month {month + 1:02d} ({months[month]} {year})",
                         "Camden", 1, answer, answer, answer, answer, answer, answer, repr(weight)])
    (batch,) = pas_microdata.parse_file(out.getvalue().encode())
    assert batch.period == f"{fy}-{(fy + 1) % 100:02d}"
    assert batch.frame["nq135bd"].tolist() == [str(a) for _, a, _ in rows]  # values as published (text)
    assert batch.frame["wt_discrete"].tolist() == [w for _, _, w in rows]


# --------------------------------------------------------------------------- Home Office workforce tables
label = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=20)
count = st.integers(min_value=0, max_value=250_000)


def _old_style(n: int) -> str:
    """How releases to 2020 write a count: ` - ` for zero, padded, thousands with commas."""
    return " - " if n == 0 else f" {n:,} "


workforce_row = st.tuples(st.integers(min_value=1990, max_value=2099), label, label, label, label, count, count)


@FAST
@given(rows=st.lists(workforce_row, min_size=1, max_size=15), old=st.booleans(), trailing=st.booleans(),
       sex_header=st.sampled_from(["Gender", "Sex", "SEX"]), crlf=st.booleans())
def test_workforce_counts_and_labels_come_back_as_published(rows, old, trailing, sex_header, crlf):
    from ingest import workforce

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n" if crlf else "\n")
    header = ["As at 31 March...", "Force Name", sex_header, "Rank description", "Ethnicity", "Total (headcount)", "Total (FTE)"]
    writer.writerow(header + ([""] * 2 if trailing else []))
    for year, force, sex, rank, ethnicity, headcount, fte in rows:
        cells = [str(year), force, sex, rank, ethnicity] + [_old_style(v) if old else str(v) for v in (headcount, fte)]
        writer.writerow(cells + ([""] * 2 if trailing else []))
    batches = workforce.parse(out.getvalue().encode("utf-8"), location="t.csv", period=None)
    got = sorted((b.period, *r) for b in batches for r in zip(b.frame.force, b.frame.sex, b.frame["rank"], b.frame.ethnicity,
                                                                 b.frame.headcount, b.frame.fte))
    assert got == sorted((f"{y}-03-31", f.strip(), s.strip(), r.strip(), e.strip(), h, float(t)) for y, f, s, r, e, h, t in rows)


@FAST
@given(start=st.integers(min_value=1990, max_value=2098), spelling=st.sampled_from(["{a}/{b2}", "{a}-{b2}", "{a}/{b}", "{a} to {b}"]))
def test_every_spelling_of_a_financial_year_is_that_year(start, spelling):
    from ingest.core import home_office

    cell = spelling.format(a=start, b=start + 1, b2=f"{(start + 1) % 100:02d}")
    assert home_office.financial_year(cell, what="t", line="2") == f"{start}-{(start + 1) % 100:02d}"


def _case_variant(text_: str, flips: list[bool]) -> str:
    return "".join(c.swapcase() if flip else c for c, flip in zip(text_, flips + [False] * len(text_)))


@FAST
@given(data=st.data())
def test_every_workforce_label_maps_whatever_its_case(data):
    """The gates and staging match labels case-insensitively: any casing of a seed label is known; an unlisted label is not."""
    from ingest.core import reference
    from ingest.core.home_office import known_labels

    rows = reference.seed_rows("workforce_labels")
    row = data.draw(st.sampled_from(rows))
    variant = _case_variant(row["label"], data.draw(st.lists(st.booleans(), max_size=len(row["label"]))))
    known = known_labels({"x": row["dimension"]})["known_x_labels"]
    assert variant.strip().lower() in known
    stranger = data.draw(label.filter(lambda t: t.strip().lower() not in {r["label"].lower() for r in rows}))
    assert stranger.strip().lower() not in known
