-- incremental by police.uk period (decision 0025): an incremental build recomputes only the refreshed periods,
-- deleting them first (the source declares this model in ingest/police_uk.py `incremental_models`)
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail',
          pre_hook="{{ delete_refreshed_periods('police_uk_stop_searches') }}") }}
-- depends_on: {{ ref('stg_audit__refresh_periods') }}

with

stop_searches as (

    select * from {{ ref('int_stop_searches__located') }}
    where {{ refreshed_periods('police_uk_stop_searches') }}

),

final as (

    select
        stop_id,
        period,
        source_format,
        batch_id,
        searched_at,
        searched_at_local,
        "month",
        borough,
        borough_code,
        latitude,
        longitude,
        street_id,
        street_name,
        search_type,
        involved_person,
        is_part_of_operation,
        operation_name,
        legislation,
        object_of_search,
        gender,
        age_range,
        self_defined_ethnicity,
        self_defined_ethnic_group,
        officer_defined_ethnicity,
        officer_defined_ethnic_group,
        outcome,
        outcome_id,
        outcome_category,
        is_outcome_linked_to_object,
        is_more_than_outer_clothing_removed
    from stop_searches

)

select * from final
