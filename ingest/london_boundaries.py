"""London local authority boundaries (GeoJSON), for assigning a stop to a borough.

Each feature becomes one row of `raw.london_boundaries` with its geometry kept
as GeoJSON text; dbt turns it into a geometry with the spatial extension and
does the point-in-polygon join. Names are matched to ONS codes in dbt through
the borough alias seed, so any of the common spellings works.
"""

from __future__ import annotations

import json

from ingest.core import reference
from ingest.core.contract import Column, Table
from ingest.core.errors import SourceFormatError
from ingest.core.formats import decode_json
from ingest.core.source import Batch, GateContext, Source

PERIOD = "current"
NAME_KEYS = ("name", "NAME", "LAD22NM", "LAD21NM", "lad22nm", "borough")

TABLE = Table(
    "london_boundaries",
    "London local authority polygons: one row per GeoJSON feature.",
    (
        Column("feature_index", "INTEGER", "0-based position of the feature in the collection."),
        Column("name", "VARCHAR", "Authority name from the feature's properties (name, NAME, LAD22NM, ...)."),
        Column("geometry_geojson", "VARCHAR", "The feature's Polygon or MultiPolygon as GeoJSON text."),
        Column("properties_json", "VARCHAR", "The feature's properties as JSON text."),
    ),
    dbt=("geo", "london_boundaries"),
)


def parse_geojson(content: bytes):
    import pandas as pd

    data = decode_json(content, what="London boundaries GeoJSON")
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise SourceFormatError("London boundaries: expected a GeoJSON FeatureCollection")
    rows = []
    for i, feature in enumerate(data.get("features") or []):
        props = feature.get("properties") or {}
        geometry = feature.get("geometry")
        if not geometry or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            raise SourceFormatError(f"London boundaries: feature {i} has no polygon geometry")
        rows.append(
            {
                "feature_index": i,
                "name": next((props[k] for k in NAME_KEYS if props.get(k)), None),
                "geometry_geojson": json.dumps(geometry, separators=(",", ":")),
                "properties_json": json.dumps(props, sort_keys=True),
            }
        )
    return pd.DataFrame(rows, columns=TABLE.parsed_column_names, dtype=object)


def parse(content: bytes, *, location: str, period: str | None) -> list[Batch]:
    return [Batch(PERIOD, parse_geojson(content))]


def borough_spellings() -> list[str]:
    """Every name the build maps to a borough (int_london_boundaries__named joins on exactly these):
    the ONS names of the london_boroughs seed and the aliases of the borough_aliases seed."""
    return sorted({*reference.seed_values("london_boroughs", "borough_name"), *reference.seed_values("borough_aliases", "alias")})


def gate_parameters(context: GateContext) -> dict:
    return {"known_borough_spellings": borough_spellings()}


SOURCE = Source(
    basis_of_incremental=True,  # the stop-and-search models place every stop in a borough by these boundaries
    name="london_boundaries",
    table=TABLE,
    suite="london_boundaries",
    dag="reference_data",
    variable="LONDON_BOUNDARIES_URL",
    default="https://raw.githubusercontent.com/radoi90/housequest-data/master/london_boroughs.geojson",
    parse=parse,
    extension="geojson",
    description=__doc__.split("\n\n")[0],
    gate_parameters=gate_parameters,
    max_field_chars=2_000_000,  # a borough's polygon as GeoJSON text: up to 111,153 characters in the real file
    start="2021-03-21",
    # re-read monthly: unchanged bytes change nothing, and a build never runs without it
    schedule="0 5 1 * *",
)
