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

-- each stop counted once under each basis of ethnicity
by_basis as (

    {{ by_ethnicity_basis('stop_searches') }}

),

aggregated as (

    select
        period,
        "month",
        borough,
        ethnicity_basis,
        ethnic_group,
        count(*) as searches,
        count(*) filter (where outcome_category = 'Arrest') as arrests,
        count(*) filter (where outcome_category = 'No further action') as no_further_action,
        count(*) filter (where is_outcome_linked_to_object) as linked_outcomes,
        count(*) filter (where is_more_than_outer_clothing_removed) as more_than_outer_clothing,
        count(*) filter (where object_of_search = 'Controlled drugs') as drug_searches
    from by_basis
    group by all

),

final as (

    select * from aggregated

)

select * from final
