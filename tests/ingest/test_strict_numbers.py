"""One strict number parser (ingest/core/numbers.py) for every source: ASCII digits only, a sign and a decimal
point where the column has them, thousands commas only where the published format uses them, no exponent.

`1e3`, full-width `１２３` and Arabic-Indic `١٢٣` once read as numbers wherever `float()`/`int()` met them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest import census, pas_dashboard, pas_microdata, pas_neighbourhood
from ingest.core import numbers
from ingest.core.errors import SourceFormatError

NOT_NUMBERS = ["1e3", "1E3", "１２３", "١٢٣", "۱۲۳", "१२३", "1_000", "0x10", "nan", "inf", "Infinity", "", " ", "12 3", "--1",
               "1.2.3", "1..2", ".", "12.", ".5", "١.٥"]


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_the_core_parser_refuses_what_float_and_int_would_read(text):
    with pytest.raises(SourceFormatError, match="what:"):
        numbers.parse_number(text, what="what", sign=True, thousands=True, fraction=True)
    with pytest.raises(SourceFormatError, match="what:"):
        numbers.parse_integer(text, what="what", sign=True, thousands=True)


def test_the_core_parser_reads_signs_fractions_and_commas_only_where_asked():
    assert numbers.parse_number("-0.25", what="w", sign=True) == -0.25
    assert numbers.parse_integer("1,234,567", what="w", thousands=True) == 1234567
    assert numbers.parse_number("1,234.5", what="w", thousands=True) == 1234.5
    for text, options in (("-1", {}), ("+1", {}), ("1,234", {}), ("1.5", {"fraction": False}), ("12,34", {"thousands": True})):
        with pytest.raises(SourceFormatError):
            numbers.parse_number(text, what="w", **options)
    with pytest.raises(SourceFormatError, match="too large"):
        numbers.parse_number("9" * 400, what="w")


HEADER = "Upper tier local authorities Code,Upper tier local authorities,Ethnic group (8 categories) Code,Ethnic group,Observation\n"


@pytest.mark.parametrize("cell", ["1e3", "１２３", "١٢٣", "1,5,99", "1_599", "-5"])
def test_a_census_observation_is_read_strictly(cell):
    assert census.parse_ts021_csv((HEADER + 'E09000001,City of London,1,Asian,"1,599"\n').encode())["observation"].tolist() == [1599]
    with pytest.raises(SourceFormatError, match="census population: line 2, observation"):
        census.parse_ts021_csv((HEADER + f'E09000001,City of London,1,Asian,"{cell}"\n').encode())
    with pytest.raises(SourceFormatError, match="line 2, category code"):
        census.parse_ts021_csv((HEADER + "E09000001,City of London,１,Asian,5\n").encode())


@pytest.mark.parametrize("weight", ["7.31e-1", "٠.٧٣١", "0.7_31"])
def test_a_pas_weight_is_read_strictly(weight):
    late = "SERIAL,MONTH,Borough,ReNNQ147,NQ135BD,Q60,Q61,Q62A,Q62C,Q62TG,WT_Discrete\n9,FY 22/23 - Month 12 (Mar 2023),Camden,4,5,3,2,1,2,2,{}\n"
    assert pas_microdata.parse_file(late.format("0.731").encode())[0].frame.loc[0, "wt_discrete"] == pytest.approx(0.731)
    with pytest.raises(SourceFormatError, match="WT_Discrete"):
        pas_microdata.parse_file(late.format(weight).encode())


@pytest.mark.parametrize("cell", ["8e1", "８４", "٨٤", "84.0"])
def test_a_neighbourhood_percentage_is_read_strictly(cell):
    table = ("neighbourhood,Q1,Q2\n,White British,Asian\n,def,def\n"
             "Barking and Dagenham - Barking,{},50\n")
    assert pas_neighbourhood.parse(table.format("84").encode(), location="x.csv", period=None)[0].frame["percentage"].tolist() == [84, 50]
    with pytest.raises(SourceFormatError, match="integer percentage"):
        pas_neighbourhood.parse(table.format(cell).encode(), location="x.csv", period=None)


@pytest.mark.parametrize("cell", ["8.4e-1", "０.８４", "٠.٨٤"])
def test_a_dashboard_proportion_is_read_strictly(cell):
    assert pas_dashboard._parse_number("0.84", ".", "row 2") == 0.84
    assert pas_dashboard._parse_number("0,84", ",", "row 2") == 0.84
    with pytest.raises(SourceFormatError, match="row 2: not a number"):
        pas_dashboard._parse_number(cell, ".", "row 2")


@given(st.text(max_size=12))
def test_any_text_is_read_as_a_number_only_when_it_is_plainly_one(text):
    """Hypothesis over any text: read exactly when it is an optional minus, ASCII digits and at most one
    interior point, and then to the value Python's float gives those characters."""
    import re

    plain = re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", text) is not None
    try:
        value = numbers.parse_number(text, what="w", sign=True, fraction=True)
    except SourceFormatError:
        assert not plain, text
    else:
        assert plain and value == float(text), text


@given(st.integers(min_value=-(10**30), max_value=10**30))
def test_every_plainly_written_integer_reads_to_itself(n):
    assert numbers.parse_integer(str(n), what="w", sign=True) == n
    assert numbers.parse_integer(f"{n:,}", what="w", sign=True, thousands=True) == n
