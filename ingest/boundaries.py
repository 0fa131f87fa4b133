"""London local authority boundaries (GeoJSON), for assigning a stop to a borough.

Each feature becomes one row of `raw.london_boundaries` with its geometry kept
as GeoJSON text; dbt turns it into a geometry with the spatial extension and
does the point-in-polygon join. Names are matched to ONS codes in dbt through
the borough alias seed, so any of the common spellings works.
"""

from __future__ import annotations

import json

import pandas as pd

from ingest.http import Fetched, SourceFormatError, fetch_configured
from ingest.police_uk import decode_json
from warehouse.schemas import column_names

SOURCE = "london_boundaries"
TABLE = "london_boundaries"
PERIOD = "current"
NAME_KEYS = ("name", "NAME", "LAD22NM", "LAD21NM", "lad22nm", "borough")


def fetch_boundaries(settings) -> Fetched:
    return fetch_configured(settings, settings.london_boundaries_url)


def parse_geojson(content: bytes, *, batch_id: str, loaded_at: str) -> pd.DataFrame:
    data = decode_json(content, what="London boundaries GeoJSON")
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise SourceFormatError("London boundaries: expected a GeoJSON FeatureCollection")
    rows = []
    for i, feature in enumerate(data.get("features") or []):
        props = feature.get("properties") or {}
        geometry = feature.get("geometry")
        if not geometry or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            raise SourceFormatError(f"London boundaries: feature {i} has no polygon geometry")
        name = next((props[k] for k in NAME_KEYS if props.get(k)), None)
        rows.append(
            {
                "period": PERIOD,
                "batch_id": batch_id,
                "feature_index": i,
                "name": name,
                "geometry_geojson": json.dumps(geometry, separators=(",", ":")),
                "properties_json": json.dumps(props, sort_keys=True),
                "loaded_at": loaded_at,
            }
        )
    return pd.DataFrame(rows, columns=column_names(TABLE), dtype=object)
