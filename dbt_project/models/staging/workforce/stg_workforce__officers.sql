-- Home Office workforce rows, one per as-at date, force, sex, rank, worker
-- type and published ethnicity, with every label mapped through the seed
-- workforce_labels (case-insensitively: releases change case). A published
-- `Total` ethnicity row is flagged, never counted as a group.
with

source as (

    select * from {{ source('workforce', 'officers') }}

),

labels as (

    select dimension, lower(label) as label_key, mapped_to, sort_order
    from {{ ref('workforce_labels') }}

),

renamed as (

    select
        as_at,
        trim(force) as force,
        geo_code,
        region,
        sex as sex_published,
        rank as rank_published,
        worker_type as worker_type_published,
        ethnicity as ethnicity_published,
        headcount,
        fte,
        period,
        batch_id
    from source

),

final as (

    select
        renamed.as_at,
        renamed.force,
        renamed.geo_code,
        renamed.region,
        sex.mapped_to as sex,
        rank_label.mapped_to as rank,
        rank_label.sort_order as rank_order,
        -- tables without a worker type column are officer tables
        coalesce(worker.mapped_to, 'Police officer') as worker_type,
        ethnicity.mapped_to as ethnic_group,
        ethnicity.mapped_to = 'Total' as is_total_row,
        renamed.headcount,
        renamed.fte,
        renamed.sex_published,
        renamed.rank_published,
        renamed.worker_type_published,
        renamed.ethnicity_published,
        renamed.period,
        renamed.batch_id
    from renamed
    left join labels as sex
        on sex.dimension = 'sex' and sex.label_key = lower(trim(renamed.sex_published))
    left join labels as rank_label
        on rank_label.dimension = 'rank' and rank_label.label_key = lower(trim(renamed.rank_published))
    left join labels as worker
        on worker.dimension = 'worker_type' and worker.label_key = lower(trim(renamed.worker_type_published))
    left join labels as ethnicity
        on ethnicity.dimension = 'ethnicity' and ethnicity.label_key = lower(trim(renamed.ethnicity_published))

)

select * from final
