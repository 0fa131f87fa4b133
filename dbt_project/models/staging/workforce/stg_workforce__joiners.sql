-- Officer joiners, one row per financial year, force, sex, rank, worker
-- type, joiner type and published ethnicity, labels mapped through the seed
-- workforce_labels. `year_end` is the 31 March that ends the financial year.
with

source as (

    select * from {{ source('workforce', 'joiners') }}

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
        rank as rank_published,
        worker_type as worker_type_published,
        joiner_type as joiner_type_published,
        ethnicity as ethnicity_published,
        headcount,
        fte,
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
        rank_label.mapped_to as rank,
        coalesce(worker.mapped_to, 'Police officer') as worker_type,
        joiner.mapped_to as joiner_type,
        ethnicity.mapped_to as ethnic_group,
        ethnicity.mapped_to = 'Total' as is_total_row,
        renamed.headcount,
        renamed.fte,
        renamed.ethnicity_published,
        renamed.period,
        renamed.batch_id
    from renamed
    {{ join_workforce_label('sex', 'sex', 'renamed.sex_published') }}
    {{ join_workforce_label('rank_label', 'rank', 'renamed.rank_published') }}
    {{ join_workforce_label('worker', 'worker_type', 'renamed.worker_type_published') }}
    {{ join_workforce_label('joiner', 'joiner_type', 'renamed.joiner_type_published') }}
    {{ join_workforce_label('ethnicity', 'ethnicity', 'renamed.ethnicity_published') }}

)

select * from final
