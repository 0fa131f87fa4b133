with

source as (

    select * from {{ source('police_uk', 'stop_searches') }}

),

renamed as (

    select
        -- ids
        md5(batch_id || ':' || cast(record_index as varchar)) as stop_id,
        period,
        source_format,
        batch_id,
        record_index,

        -- when: published in UTC; the month is London's calendar month, so a
        -- search at 23:30 UTC on 31 August (00:30 BST) belongs to September
        try_cast({{ blank_to_null('"datetime"') }} as timestamptz) as searched_at,

        -- what
        {{ blank_to_null('"type"') }} as search_type,
        involved_person,
        "operation" as is_part_of_operation,
        {{ blank_to_null('operation_name') }} as operation_name,
        {{ blank_to_null('legislation') }} as legislation,
        {{ blank_to_null('object_of_search') }} as object_of_search,

        -- where
        try_cast({{ blank_to_null('latitude') }} as double) as latitude,
        try_cast({{ blank_to_null('longitude') }} as double) as longitude,
        street_id,
        {{ blank_to_null('street_name') }} as street_name,

        -- who
        {{ blank_to_null('gender') }} as gender,
        {{ blank_to_null('age_range') }} as age_range,
        {{ blank_to_null('self_defined_ethnicity') }} as self_defined_ethnicity,
        {{ blank_to_null('officer_defined_ethnicity') }} as officer_defined_ethnicity,

        -- outcome
        {{ blank_to_null('outcome') }} as outcome,
        {{ blank_to_null('outcome_id') }} as outcome_id,
        outcome_linked_to_object_of_search as is_outcome_linked_to_object,
        removal_of_more_than_outer_clothing as is_more_than_outer_clothing_removed,

        loaded_at

    from source

),

localised as (

    select
        *,
        timezone('Europe/London', searched_at) as searched_at_local,
        cast(date_trunc('month', timezone('Europe/London', searched_at)) as date) as "month"
    from renamed

),

final as (

    select
        stop_id,
        period,
        source_format,
        batch_id,
        record_index,
        searched_at,
        searched_at_local,
        "month",
        search_type,
        involved_person,
        is_part_of_operation,
        operation_name,
        latitude,
        longitude,
        street_id,
        street_name,
        gender,
        age_range,
        self_defined_ethnicity,
        officer_defined_ethnicity,
        legislation,
        object_of_search,
        outcome,
        outcome_id,
        is_outcome_linked_to_object,
        is_more_than_outer_clothing_removed,
        loaded_at
    from localised

)

select * from final
