"""One place where configuration is read.

Every DAG, ingest client and CLI command asks this module where things are, so
the same code runs against the real sites, a local mirror or a recorded
fixture served on 127.0.0.1 (Dagster's "resources per environment" idea,
with environment variables as the switch). Nothing here does I/O at import.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"

# Source locations: one variable per source, a URL or a local path; several
# files are given as a comma-separated list. The defaults are the real sites.
SOURCE_URL_DEFAULTS: dict[str, str] = {
    "POLICE_UK_API_URL": "https://data.police.uk/api",
    # Bulk archive CSVs (YYYY-MM-<force>-stop-and-search.csv), files, URLs or
    # directories. The real archive (https://data.police.uk/data/archive/) is
    # a zip of every force; no default because it is large and optional.
    "POLICE_UK_ARCHIVE_URL": "",
    "CENSUS_POPULATION_URL": (
        "https://api.beta.ons.gov.uk/v1/datasets/TS021/editions/2021/versions/3/csv"
    ),
    "LONDON_BOUNDARIES_URL": (
        "https://raw.githubusercontent.com/radoi90/housequest-data/master/london_boroughs.geojson"
    ),
    # MOPAC surveys on the London Datastore: the dashboard workbook (or CSV
    # exports of its sheets) and the neighbourhood indicators by ethnic group.
    "PAS_DASHBOARD_URL": (
        "https://data.london.gov.uk/download/mopac-surveys/PAS_T%26Cdashboard_to%20Q3%2023-24.xlsx"
    ),
    "PAS_NEIGHBOURHOOD_URL": (
        "https://data.london.gov.uk/download/mopac-surveys/"
        "neighbourhood_indicators_by_ethnicity_2015-16_to_2020-21.csv"
    ),
    # Respondent-level PAS is released to researchers, not published: no default.
    "PAS_MICRODATA_URL": "",
}

# Logical source names accepted by `mapwh run --sources`.
SOURCES = ("stop_search", "census_population", "london_boundaries", "pas_dashboard", "pas_neighbourhood", "pas_microdata")
SOURCE_GROUPS: dict[str, tuple[str, ...]] = {
    "reference": ("census_population", "london_boundaries"),
    "pas": ("pas_dashboard", "pas_neighbourhood", "pas_microdata"),
}


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return default if value is None else value.strip()


def split_locations(value: str) -> list[str]:
    """A comma-separated list of URLs or paths, blanks dropped."""
    return [part.strip() for part in value.split(",") if part.strip()]


@dataclass(frozen=True)
class Settings:
    home: Path
    police_uk_api_url: str
    police_uk_archive_urls: tuple[str, ...]
    police_uk_force: str
    census_population_url: str
    london_boundaries_url: str
    pas_dashboard_urls: tuple[str, ...]
    pas_neighbourhood_url: str
    pas_microdata_urls: tuple[str, ...]
    http_timeout_s: float
    http_max_retries: int
    http_rate_per_s: float
    http_burst: int

    # State under MAPWH_HOME -------------------------------------------------
    @property
    def raw_dir(self) -> Path:
        """Append-only landing zone: every response byte for byte, plus manifest."""
        return self.home / "raw"

    @property
    def manifest_path(self) -> Path:
        return self.raw_dir / "manifest.jsonl"

    @property
    def validated_dir(self) -> Path:
        """Batches that passed their gate, one Parquet file per (table, period)."""
        return self.home / "validated"

    @property
    def quarantine_dir(self) -> Path:
        return self.home / "quarantine"

    @property
    def audit_dir(self) -> Path:
        return self.home / "audit"

    @property
    def gx_dir(self) -> Path:
        """Great Expectations file context: validation results and Data Docs."""
        return self.home / "gx"

    @property
    def warehouse_path(self) -> Path:
        """The published warehouse that readers and BI tools open."""
        return self.home / "warehouse.duckdb"

    @property
    def build_dir(self) -> Path:
        return self.home / "build"

    @property
    def airflow_home(self) -> Path:
        """AIRFLOW_HOME when set (a deployed Airflow), else MAPWH_HOME/airflow."""
        override = os.environ.get("AIRFLOW_HOME")
        return Path(override) if override else self.home / "airflow"

    @property
    def duckdb_extension_dir(self) -> Path:
        return self.home / "duckdb_extensions"


def get_settings() -> Settings:
    home = Path(_env("MAPWH_HOME", str(PROJECT_ROOT / "var"))).expanduser().resolve()
    return Settings(
        home=home,
        police_uk_api_url=_env("POLICE_UK_API_URL", SOURCE_URL_DEFAULTS["POLICE_UK_API_URL"]).rstrip("/"),
        police_uk_archive_urls=tuple(
            split_locations(_env("POLICE_UK_ARCHIVE_URL", SOURCE_URL_DEFAULTS["POLICE_UK_ARCHIVE_URL"]))
        ),
        police_uk_force=_env("POLICE_UK_FORCE", "metropolitan"),
        census_population_url=_env("CENSUS_POPULATION_URL", SOURCE_URL_DEFAULTS["CENSUS_POPULATION_URL"]),
        london_boundaries_url=_env("LONDON_BOUNDARIES_URL", SOURCE_URL_DEFAULTS["LONDON_BOUNDARIES_URL"]),
        pas_dashboard_urls=tuple(split_locations(_env("PAS_DASHBOARD_URL", SOURCE_URL_DEFAULTS["PAS_DASHBOARD_URL"]))),
        pas_neighbourhood_url=_env("PAS_NEIGHBOURHOOD_URL", SOURCE_URL_DEFAULTS["PAS_NEIGHBOURHOOD_URL"]),
        pas_microdata_urls=tuple(split_locations(_env("PAS_MICRODATA_URL", SOURCE_URL_DEFAULTS["PAS_MICRODATA_URL"]))),
        http_timeout_s=float(_env("MAPWH_HTTP_TIMEOUT", "60")),
        http_max_retries=int(_env("MAPWH_HTTP_RETRIES", "5")),
        http_rate_per_s=float(_env("MAPWH_HTTP_RATE", "15")),
        http_burst=int(_env("MAPWH_HTTP_BURST", "30")),
    )
