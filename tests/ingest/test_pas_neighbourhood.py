"""ingest/pas_neighbourhood.py on the real MOPAC file: three header rows to long form, blanks null."""

from __future__ import annotations

from ingest import pas_neighbourhood

NAME = "neighbourhood_indicators_by_ethnicity_2015-16_to_2020-21.csv"


def test_three_header_rows_to_long_form(shared_data):
    content = (shared_data / "pas" / NAME).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    (batch,) = pas_neighbourhood.parse(content, location=f"https://example.invalid/{NAME}", period=None)
    frame = batch.frame
    assert batch.period == "2015-16_to_2020-21"
    neighbourhoods = frame["neighbourhood"].nunique()
    assert neighbourhoods == 112 and len(frame) == neighbourhoods * 12  # 4 questions x 3 groups
    assert set(frame["ethnic_group"]) == {"White British", "Asian", "Black"}
    first = frame[(frame["neighbourhood"] == "Barking and Dagenham - Barking") & (frame["ethnic_group"] == "White British")]
    assert first["percentage"].tolist()[0] == 84
    # Suppressed cells are nulls, never zeros.
    assert frame["percentage"].isna().sum() > 0
    assert (frame["percentage"] == 0).sum() == 0
