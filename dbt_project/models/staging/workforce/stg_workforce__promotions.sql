-- Officer promotions, one row per financial year, force, sex, rank promoted
-- to, worker type and published ethnicity, labels mapped through the seed
-- workforce_labels. `year_end` is the 31 March that ends the financial year.
with

source as (

    select * from {{ source('workforce', 'promotions') }}

),

labels as (

    {{ workforce_labels() }}

),

renamed as (

    select
        financial_year,
        {{ financial_year_end('financial_year') }} as year_end,
        trim(force) as force,
        geo_code,
        sex as sex_published,
        rank_promoted_to as rank_published,
        worker_type as worker_type_published,
        ethnicity as ethnicity_published,
        headcount,
        period,
        batch_id
    from source

),

final as (

    select
        renamed.financial_year,
        renamed.year_end,
        renamed.force,
        renamed.geo_code,
        sex.mapped_to as sex,
        rank_label.mapped_to as rank_promoted_to,
        rank_label.sort_order as rank_order,
        coalesce(worker.mapped_to, 'Police officer') as worker_type,
        ethnicity.mapped_to as ethnic_group,
        ethnicity.mapped_to = 'Total' as is_total_row,
        renamed.headcount,
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
