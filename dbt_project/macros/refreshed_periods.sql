{#-
    Incremental by period (decision 0025). In an incremental run, the
    periods of `table_name` this build recomputes (stg_audit__refresh_periods)
    as a filter on `period` with the periods written out literally, so that
    DuckDB prunes the raw scan instead of joining; `false` when none changed.
    In a full run (no table yet, or --full-refresh) it is `true`. A model
    using it must name `-- depends_on: {{ ref('stg_audit__refresh_periods') }}`,
    because dbt does not see a ref inside `execute`.
-#}
{% macro refreshed_periods(table_name) -%}
    {#- a unit test has no `this`: it is a full run -#}
    {%- if this is none or not is_incremental() -%}
        true
    {%- else -%}
        {%- set periods = [] -%}
        {%- if execute -%}
            {%- set query -%}
                select distinct period from {{ ref('stg_audit__refresh_periods') }}
                where table_name = '{{ table_name }}' order by period
            {%- endset -%}
            {%- set periods = run_query(query).columns[0].values() -%}
        {%- endif -%}
        {%- if periods | length == 0 -%}
            false
        {%- else -%}
            period in ({% for p in periods %}'{{ p | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor %})
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- Before an incremental run inserts, remove the periods it recomputes (a removed or emptied period included). -#}
{% macro delete_refreshed_periods(table_name) -%}
    {%- if this is not none and is_incremental() -%}
        delete from {{ this }} where {{ refreshed_periods(table_name) }}
    {%- endif -%}
{%- endmacro %}
