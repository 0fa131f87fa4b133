"""ONS Census 2021 population by ethnic group (TS021, 8 categories) per local authority.

The denominator of every stop-and-search rate. ONS exports name the geography
in the header (`Upper tier local authorities Code`, `Lower tier local
authorities Code`, ...) and carry an `Ethnic group (8 categories) Code`
column; categories are identified by that code, never by the label (copies
in circulation have altered labels). Parsed rows follow
`raw.census_population` (warehouse/schemas.py).
"""

from __future__ import annotations

import csv
import io

import pandas as pd

from ingest.http import Fetched, SourceFormatError, fetch_configured
from warehouse.schemas import column_names

SOURCE = "census_population"
TABLE = "census_population"
PERIOD = "2021"
CATEGORY_CODE_COLUMN = "Ethnic group (8 categories) Code"
VALID_CODES = {-8, 1, 2, 3, 4, 5, 6, 7}


def fetch_population(settings) -> Fetched:
    return fetch_configured(settings, settings.census_population_url)


def parse_ts021_csv(content: bytes, *, batch_id: str, loaded_at: str) -> pd.DataFrame:
    """Parse a TS021 (8 categories) CSV export into raw.census_population rows."""
    if content[:512].lstrip().startswith(b"<"):
        raise SourceFormatError("census population: got an HTML page instead of CSV")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceFormatError(f"census population: not UTF-8 text: {exc}") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None) or []
    if len(header) != 5 or not header[0].endswith(" Code") or header[2] != CATEGORY_CODE_COLUMN or header[4] != "Observation":
        raise SourceFormatError(
            "census population: expected the TS021 8-category export header "
            f"('<geography> Code, <geography>, {CATEGORY_CODE_COLUMN}, Ethnic group, Observation'), got {header!r}"
        )
    geography = header[0][: -len(" Code")]
    rows = []
    for line_no, values in enumerate(reader, start=2):
        if not values:
            continue
        if len(values) != 5:
            raise SourceFormatError(f"census population: line {line_no} has {len(values)} fields, expected 5")
        try:
            code = int(values[2])
            observation = int(values[4].replace(",", "").strip())
        except ValueError as exc:
            raise SourceFormatError(f"census population: line {line_no}: {exc}") from exc
        rows.append(
            {
                "period": PERIOD,
                "batch_id": batch_id,
                "geography": geography,
                "area_code": values[0].strip(),
                "area_name": values[1].strip(),
                "ethnic_group_code": code,
                "ethnic_group_label": values[3],
                "observation": observation,
                "loaded_at": loaded_at,
            }
        )
    return pd.DataFrame(rows, columns=column_names(TABLE), dtype=object)
