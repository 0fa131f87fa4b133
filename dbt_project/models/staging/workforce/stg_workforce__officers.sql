-- Home Office workforce rows, one per as-at date, force, sex, rank, worker
-- type and published ethnicity, with every label mapped through the seed
-- workforce_labels (case-insensitively: releases change case). A published
-- `Total` ethnicity row is flagged, never counted as a group.
with

source as (

    select * from {{ source('workforce', 'officers') }}

),

labels as (

    {{ workforce_labels() }}

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
    {{ join_workforce_label('sex', 'sex', 'renamed.sex_published') }}
    {{ join_workforce_label('rank_label', 'rank', 'renamed.rank_published') }}
    {{ join_workforce_label('worker', 'worker_type', 'renamed.worker_type_published') }}
    {{ join_workforce_label('ethnicity', 'ethnicity', 'renamed.ethnicity_published') }}

)

select * from final
