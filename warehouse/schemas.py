"""The contract between ingest and dbt: the tables of the `raw` schema.

Ingest parses each source into rows of exactly these columns (validated
batches are Parquet files with this schema); the build copies them into the
`raw` schema of a new warehouse file, where dbt's staging models read them
with `source()`. A source that was never loaded still gets its (empty) table,
so every model builds and marts over missing inputs come out empty.
"""

from __future__ import annotations

# Column name -> DuckDB type, in order. Values are kept as published (labels
# untouched, coordinates and datetimes as text); staging casts and maps them.
RAW_TABLES: dict[str, dict[str, str]] = {
    # One row per stop and search record (police.uk API JSON or archive CSV).
    "police_uk_stop_searches": {
        "period": "VARCHAR",  # YYYY-MM the batch was published for
        "source_format": "VARCHAR",  # 'api' | 'archive_csv'
        "batch_id": "VARCHAR",
        "record_index": "INTEGER",  # 0-based position in the batch
        "type": "VARCHAR",
        "datetime": "VARCHAR",  # ISO 8601 with offset, as published (UTC)
        "involved_person": "BOOLEAN",
        "operation": "BOOLEAN",
        "operation_name": "VARCHAR",
        "latitude": "VARCHAR",
        "longitude": "VARCHAR",
        "street_id": "BIGINT",
        "street_name": "VARCHAR",
        "gender": "VARCHAR",
        "age_range": "VARCHAR",
        "self_defined_ethnicity": "VARCHAR",
        "officer_defined_ethnicity": "VARCHAR",
        "legislation": "VARCHAR",
        "object_of_search": "VARCHAR",
        "outcome": "VARCHAR",  # label as published
        "outcome_id": "VARCHAR",  # API outcome_object.id (null in archive CSVs)
        "outcome_linked_to_object_of_search": "BOOLEAN",
        "removal_of_more_than_outer_clothing": "BOOLEAN",
        "loaded_at": "TIMESTAMP WITH TIME ZONE",
    },
    # ONS Census 2021 TS021 ethnic group (8 categories) by local authority.
    "census_population": {
        "period": "VARCHAR",  # '2021'
        "batch_id": "VARCHAR",
        "geography": "VARCHAR",  # header prefix, e.g. 'Upper tier local authorities'
        "area_code": "VARCHAR",
        "area_name": "VARCHAR",
        "ethnic_group_code": "INTEGER",
        "ethnic_group_label": "VARCHAR",  # as published; never used for mapping
        "observation": "BIGINT",
        "loaded_at": "TIMESTAMP WITH TIME ZONE",
    },
    # London local authority polygons (GeoJSON features).
    "london_boundaries": {
        "period": "VARCHAR",  # 'current'
        "batch_id": "VARCHAR",
        "feature_index": "INTEGER",
        "name": "VARCHAR",
        "geometry_geojson": "VARCHAR",
        "properties_json": "VARCHAR",
        "loaded_at": "TIMESTAMP WITH TIME ZONE",
    },
    # MOPAC PAS trust and confidence dashboard (workbook sheets MPS / Borough,
    # or CSV exports of them): long format, rolling-12-month proportions.
    "pas_dashboard": {
        "period": "VARCHAR",  # the sheet: 'MPS' | 'Borough'
        "batch_id": "VARCHAR",
        "source_format": "VARCHAR",  # 'xlsx' | 'csv'
        "row_index": "INTEGER",
        "date_text": "VARCHAR",  # as published ('31/03/2016', or the workbook cell's ISO date)
        "quarter_end": "DATE",  # parsed (day first)
        "survey": "VARCHAR",
        "borough": "VARCHAR",  # 'MPS' or the borough as MOPAC writes it ('City of Westminster')
        "measure": "VARCHAR",  # as published ('"Good Job" local', 'Trust MPS', ...)
        "proportion": "DOUBLE",  # parsed (decimal comma handled); gate checks [0, 1]
        "mps_proportion": "DOUBLE",  # Borough sheet only: the MPS figure beside it
        "loaded_at": "TIMESTAMP WITH TIME ZONE",
    },
    # MOPAC PAS neighbourhood indicators by ethnic group (three header rows), in long form.
    "pas_neighbourhood": {
        "period": "VARCHAR",  # the file's coverage, e.g. '2015-16_to_2020-21'
        "batch_id": "VARCHAR",
        "row_index": "INTEGER",  # data row (0-based, after the three header rows)
        "neighbourhood": "VARCHAR",  # as published: '<Borough> - <Neighbourhood>'
        "question": "VARCHAR",  # header row 1
        "ethnic_group": "VARCHAR",  # header row 2: 'White British' | 'Asian' | 'Black'
        "measure_definition": "VARCHAR",  # header row 3, e.g. '% Strongly agree/Tend to agree'
        "percentage": "INTEGER",  # null where suppressed (blank cell)
        "loaded_at": "TIMESTAMP WITH TIME ZONE",
    },
    # Respondent-level PAS, one row per interview; columns as released, the
    # union over years (absent in a year = null). Codes per dbt seeds
    # pas_answer_codes.csv and pas_ethnicity_codes.csv.
    "pas_microdata": {
        "period": "VARCHAR",  # financial year of the file, e.g. '2015-16'
        "batch_id": "VARCHAR",
        "row_index": "INTEGER",
        "serial": "VARCHAR",  # SERIAL: interview id
        "month": "VARCHAR",  # MONTH, text like 'FY 15/16 - Month 01 (Apr 2015)'
        "c2": "VARCHAR",  # borough (2015-16 to 2016-17)
        "boroughneighbourhoodcoded": "VARCHAR",  # '<Borough> - <Neighbourhood>' (2017-18 to 2019-20)
        "borough": "VARCHAR",  # Borough (2020-21 on)
        "nq147r": "INTEGER",  # ethnicity code, 2015-16 to 2019-20
        "renq147": "INTEGER",  # ethnicity code, 2020-21
        "rennq147": "INTEGER",  # ethnicity code (Census 2021 frame), 2021-22 on
        "nq135bd": "INTEGER",  # trust: 'The MPS is an organisation that I can trust'
        "q60": "INTEGER",  # good job, local
        "q61": "INTEGER",  # good job, London
        "q62a": "INTEGER",  # relied on to be there
        "q62c": "INTEGER",  # treat everyone fairly
        "q62tg": "INTEGER",  # listen to concerns
        "wt_discrete": "DOUBLE",  # WT_Discrete: weight, from 2018-19 (null before)
        "loaded_at": "TIMESTAMP WITH TIME ZONE",
    },
    # What is loaded: one row per (table, period), the batch that serves it.
    "loaded_batches": {
        "source": "VARCHAR",
        "table_name": "VARCHAR",
        "period": "VARCHAR",
        "batch_id": "VARCHAR",
        "sha256": "VARCHAR",
        "url": "VARCHAR",
        "rows": "BIGINT",
        "status": "VARCHAR",  # 'loaded' | 'empty'
        "fetched_at": "TIMESTAMP WITH TIME ZONE",
        "loaded_at": "TIMESTAMP WITH TIME ZONE",
    },
}


def create_table_sql(schema: str, table: str) -> str:
    cols = ",\n  ".join(f'"{c}" {t}' for c, t in RAW_TABLES[table].items())
    return f'create table {schema}."{table}" (\n  {cols}\n)'


def column_names(table: str) -> list[str]:
    return list(RAW_TABLES[table])
