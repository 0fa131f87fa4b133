{#-
    A published datetime (text) as a timestamp with time zone: blank means
    "not recorded", anything DuckDB cannot read is null. The one definition:
    staging (stg_police_uk__stop_searches) calls it, and the police.uk gate
    renders this same macro and runs it with DuckDB on each batch
    (ingest.police_uk.parse_published_datetimes), so a datetime the gate
    accepts is one the build reads, to the same instant. Plain SQL only (no
    other macro): the gate renders it with Jinja alone. Run with the session
    TimeZone UTC (profiles.yml), so an offset-less value means UTC.
-#}
{% macro published_timestamp(column_name) -%}
    try_cast(nullif(trim({{ column_name }}), '') as timestamptz)
{%- endmacro %}
