"""MOPAC PAS respondent-level microdata: one file per financial year, one row per interview.

`PAS_MICRODATA_URL` names the release files (CSV; files, URLs or a directory
of them). MOPAC releases them to researchers only, so there is no default:
left empty, the source is not taken. Column names change between years (the
borough is `C2`, `BOROUGHNEIGHBOURHOODCODED` or `Borough`; ethnicity `NQ147r`,
`ReNQ147` or `ReNNQ147`; the weight `WT_Discrete` from 2018-19): every known
name is kept side by side and staging maps them to one schema. A file is one
batch, its period the financial year of its interviews.
"""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import datetime

from ingest.core import reference
from ingest.core.contract import Column, Table
from ingest.core.errors import SourceFormatError
from ingest.core.formats import decode_text, refuse_html
from ingest.core.http import file_name
from ingest.core.source import Batch, GateContext, Source

MONTH_TEXT = re.compile(r"\((?P<mon>[A-Za-z]{3}) (?P<year>\d{4})\)")
ANSWERS = ("nq135bd", "q60", "q61", "q62a", "q62c", "q62tg")
ETHNICITY = ("nq147r", "renq147", "rennq147")

TABLE = Table(
    "pas_microdata",
    "One row per PAS interview: the union of the columns used in any year's release (null where a year "
    "lacks the column); `period` is the financial year, e.g. `2015-16`. Codes as in the seeds "
    "pas_answer_codes and pas_ethnicity_codes. MOPAC releases these files to researchers only: outside a "
    "research deployment this table holds the SYNTHETIC sample or nothing.",
    (
        Column("row_index", "INTEGER", "0-based data row of the file."),
        Column("serial", "VARCHAR", "SERIAL: interview id."),
        Column("month", "VARCHAR", "MONTH as released, e.g. `FY 15/16 - Month 01 (Apr 2015)`."),
        Column("c2", "VARCHAR", "C2: borough (2015-16 to 2016-17)."),
        Column("boroughneighbourhoodcoded", "VARCHAR", "BOROUGHNEIGHBOURHOODCODED: `<Borough> - <Neighbourhood>` (2017-18 to 2019-20)."),
        Column("borough", "VARCHAR", "Borough (2020-21 on)."),
        Column("nq147r", "INTEGER", "NQ147r: ethnicity code, 2015-16 to 2019-20."),
        Column("renq147", "INTEGER", "ReNQ147: ethnicity code, 2020-21."),
        Column("rennq147", "INTEGER", "ReNNQ147: ethnicity code (Census 2021 frame), 2021-22 on."),
        Column("nq135bd", "INTEGER", "NQ135BD: 'The MPS is an organisation that I can trust'."),
        Column("q60", "INTEGER", "Q60: good job, local."),
        Column("q61", "INTEGER", "Q61: good job, London."),
        Column("q62a", "INTEGER", "Q62A: relied on to be there."),
        Column("q62c", "INTEGER", "Q62C: treat everyone fairly."),
        Column("q62tg", "INTEGER", "Q62TG: listen to concerns."),
        Column("wt_discrete", "DOUBLE", "WT_Discrete: weight, from 2018-19 (null before)."),
    ),
    dbt=("pas", "microdata"),
)

# Columns as released (any year) → raw.pas_microdata names.
COLUMNS = {
    "SERIAL": "serial",
    "MONTH": "month",
    "C2": "c2",
    "BOROUGHNEIGHBOURHOODCODED": "boroughneighbourhoodcoded",
    "Borough": "borough",
    "NQ147r": "nq147r",
    "ReNQ147": "renq147",
    "ReNNQ147": "rennq147",
    "NQ135BD": "nq135bd",
    "Q60": "q60",
    "Q61": "q61",
    "Q62A": "q62a",
    "Q62C": "q62c",
    "Q62TG": "q62tg",
    "WT_Discrete": "wt_discrete",
}
REQUIRED = {"SERIAL", "MONTH", "NQ135BD", "Q60", "Q61", "Q62A", "Q62C", "Q62TG"}
INTEGER_COLUMNS = set(ETHNICITY + ANSWERS)


def interview_month(month_text: str | None) -> datetime | None:
    """'FY 15/16 - Month 01 (Apr 2015)' → 2015-04-01; None without a '(Mon YYYY)' part."""
    match = MONTH_TEXT.search(month_text or "")
    return datetime.strptime(f"{match['mon']} {match['year']}", "%b %Y") if match else None


def financial_year(month_text: str) -> str:
    """'FY 15/16 - Month 01 (Apr 2015)' → '2015-16' (April to March)."""
    month = interview_month(month_text)
    if month is None:
        raise SourceFormatError(f"PAS microdata: MONTH {month_text!r} has no '(Mon YYYY)'")
    start = month.year if month.month >= 4 else month.year - 1
    return f"{start}-{str(start + 1)[2:]}"


def parse_file(content: bytes, name: str = ""):
    """One release file (one financial year) → (period, rows with every known column)."""
    import pandas as pd

    what = f"PAS microdata {name}".rstrip()
    refuse_html(content, what=what, expected="CSV")
    reader = csv.DictReader(io.StringIO(decode_text(content, what=what), newline=""))
    header = reader.fieldnames or []
    unknown = [h for h in header if h not in COLUMNS]
    missing = REQUIRED - set(header)
    if unknown or missing:
        raise SourceFormatError(f"{what}: unknown columns {unknown}, missing {sorted(missing)}")
    if not ({"C2", "BOROUGHNEIGHBOURHOODCODED", "Borough"} & set(header)):
        raise SourceFormatError(f"{what}: no borough column (C2, BOROUGHNEIGHBOURHOODCODED or Borough)")
    if not ({"NQ147r", "ReNQ147", "ReNNQ147"} & set(header)):
        raise SourceFormatError(f"{what}: no ethnicity column (NQ147r, ReNQ147 or ReNNQ147)")
    rows, years = [], set()
    for i, rec in enumerate(reader):
        if None in rec:
            raise SourceFormatError(f"{what}: line {i + 2} has more fields than the header")
        row = dict.fromkeys(TABLE.parsed_column_names)
        row["row_index"] = i
        for original, value in rec.items():
            target = COLUMNS[original]
            value = (value or "").strip()
            if not value:
                continue
            try:
                if target in INTEGER_COLUMNS:
                    row[target] = int(float(value))
                elif target == "wt_discrete":
                    row[target] = float(value)
                    if not math.isfinite(row[target]):
                        raise ValueError("not finite")
                else:
                    row[target] = value
            except ValueError as exc:
                raise SourceFormatError(f"{what}: line {i + 2} {original}={value!r} is not a number") from exc
        years.add(financial_year(row["month"]))
        rows.append(row)
    if len(years) > 1:
        raise SourceFormatError(f"{what}: interviews from several financial years {sorted(years)}; expected one per file")
    named = re.search(r"(\d{4}-\d{2})", name)
    period = years.pop() if years else (named.group(1) if named else "unknown")
    return period, pd.DataFrame(rows, columns=TABLE.parsed_column_names, dtype=object)


def parse(content: bytes, *, location: str, period: str | None) -> list[Batch]:
    year, frame = parse_file(content, file_name(location))
    return [Batch(year, frame)]


def gate_view(frame):
    """A known borough, a readable month, exactly one ethnicity column filled, numeric weights."""
    import pandas as pd

    lookup = reference.borough_lookup()
    view = frame.copy()
    borough_text = view["c2"].fillna(view["boroughneighbourhoodcoded"].str.split(" - ", n=1).str[0]).fillna(view["borough"])
    view["borough_known"] = [str(b).strip().lower() in lookup for b in borough_text]
    view["interview_month"] = [interview_month(str(t)) for t in view["month"]]
    view["ethnicity_columns_filled"] = view[list(ETHNICITY)].notna().sum(axis=1).astype(int)
    view["wt_discrete"] = pd.to_numeric(view["wt_discrete"])
    return view


def gate_parameters(context: GateContext) -> dict:
    parameters = {f"codes_{v}": reference.seed_codes("pas_answer_codes", v) for v in ANSWERS}
    parameters.update({f"codes_{v}": reference.seed_codes("pas_ethnicity_codes", v) for v in ETHNICITY})
    return parameters


SOURCE = Source(
    name="pas_microdata",
    table=TABLE,
    suite="pas_microdata",
    dag="pas",
    variable="PAS_MICRODATA_URL",
    default="",
    parse=parse,
    extension="csv",
    description=__doc__.split("\n\n")[0],
    start="2014-10-01",
    gate_view=gate_view,
    gate_parameters=gate_parameters,
    schedule="0 6 1 1,4,7,10 *",
    directory_suffix=".csv",
)
