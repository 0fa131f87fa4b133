{#-
    The published content a stop_id is derived from, as raw published values
    (before blank_to_null and the casts below, so '' and null differ). Not
    batch_id, record_index or loaded_at: they change when a month is
    republished or reloaded while its records do not. Changing this list (or
    the encoding below) changes every stop_id.
-#}
{%- set content_columns = [
    'period', 'source_format',
    'datetime',
    'latitude', 'longitude', 'street_id', 'street_name',
    'type', 'involved_person', 'operation', 'operation_name',
    'gender', 'age_range', 'self_defined_ethnicity', 'officer_defined_ethnicity',
    'legislation', 'object_of_search',
    'outcome', 'outcome_id',
    'outcome_linked_to_object_of_search', 'removal_of_more_than_outer_clothing',
] -%}

with

source as (

    -- force is null only in batches validated before the column existed:
    -- one-force loads, which the London gate kept to London's forces, i.e. the Met's
    select * replace (coalesce("force", '{{ var("london_force") }}') as "force")
    from {{ source('police_uk', 'stop_searches') }}

),

-- Content hash: each value as text, length-prefixed (`<bytes>:<text>`) or `~`
-- when null, joined by `|`. The length prefix makes the encoding unambiguous
-- whatever characters the values hold, and null (`~`) differs from '' (`0:`).
hashed as (

    select
        *,
        md5(
            {%- for column in content_columns %}
            coalesce(cast(strlen(cast("{{ column }}" as varchar)) as varchar) || ':' || cast("{{ column }}" as varchar), '~')
            {%- if not loop.last %} || '|' ||{% endif %}
            {%- endfor %}
        ) as content_hash
    from source

),

-- Exact duplicates within a month (same content hash, which includes the
-- period) are numbered in the order they appear in their batch, so they get
-- distinct ids and republishing the month in another order gives the same
-- set of ids. Only one batch serves a period; batch_id just makes the order
-- total should two ever meet. Partitioning by period as well changes no
-- partition (the hash includes it) but lets a filter on period reach the raw
-- scan through the window, which incremental builds rely on. `force` is not
-- hashed (ids of stops loaded before it existed stay the same) and not a
-- partition: exact duplicates from two forces in one national month are
-- numbered apart by their place in the batch (forces in name order), so ids
-- stay unique across forces.
numbered as (

    select
        *,
        row_number() over (
            partition by period, content_hash order by record_index, batch_id
        ) - 1 as occurrence
    from hashed

),

renamed as (

    select
        -- ids
        md5(content_hash || ':' || cast(occurrence as varchar)) as stop_id,
        period,
        source_format,
        "force",
        batch_id,
        record_index,

        -- when: published in UTC; the month is London's calendar month, so a
        -- search at 23:30 UTC on 31 August (00:30 BST) belongs to September
        -- the same macro the gate runs on each batch (ingest.police_uk.parse_published_datetimes)
        {{ published_timestamp('"datetime"') }} as searched_at,

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

    from numbered

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
        "force",
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
