-- One row per published row of the Home Office table by police force and
-- officer-perceived ethnicity, and per ethnicity column: the tactic and its
-- "of which" parent mapped through the seed use_of_force_labels (dimension
-- ho_tactic: `Not stated handcuffing` and `Handcuffing not stated` are one
-- tactic), the ethnicity column to its broad group (dimension ethnicity:
-- `Chinese` is Asian, `Don't know` and `Not reported` are Not stated). A cell
-- not reported stays null (`uses`), never 0.
with

source as (

    select * from {{ source('use_of_force', 'by_force') }}

),

labels as (

    select * from {{ ref('use_of_force_labels') }}

),

batches as (

    select batch_id, is_synthetic from {{ ref('stg_audit__loaded_batches') }}

),

tactics as (

    select {{ folded('label') }} as folded, mapped_to as tactic, tactic_group
    from labels
    where dimension = 'ho_tactic'

),

ethnicities as (

    select distinct {{ folded('label') }} as folded, mapped_to as ethnic_group from labels where dimension = 'ethnicity'

),

final as (

    select
        source.batch_id || ':' || source.row_index || ':' || source.ethnicity as cell_key,
        source.period as financial_year,
        source.force,
        source.type_of_force,
        source.tactic as tactic_published,
        tactics.tactic,
        tactics.tactic_group,
        source.parent_tactic as parent_tactic_published,
        parents.tactic as parent_tactic,
        source.is_total as is_total_row,
        source.ethnicity as ethnicity_published,
        ethnicities.ethnic_group,
        source.uses,
        source.published_total,
        coalesce(batches.is_synthetic, false) as is_synthetic,
        source.batch_id
    from source
    left join batches
        on source.batch_id = batches.batch_id
    left join tactics
        on {{ folded('source.tactic') }} = tactics.folded
    left join tactics as parents
        on {{ folded('source.parent_tactic') }} = parents.folded
    left join ethnicities
        on {{ folded('source.ethnicity') }} = ethnicities.folded

)

select * from final
