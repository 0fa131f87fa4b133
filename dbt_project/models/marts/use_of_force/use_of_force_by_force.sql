-- Every force (and England and Wales) by financial year, tactic and broad
-- ethnic group, from the Home Office table. A group adds up its published
-- columns (2018/19: Asian (or Asian British) and Chinese; Don't know and Not
-- reported), and is not reported (uses null) when any of them was not: a
-- partial sum would pass for the whole.
with

cells as (

    select * from {{ ref('stg_use_of_force_by_force__tactics') }}

),

groups as (

    select
        force,
        financial_year,
        tactic,
        any_value(tactic_group) as tactic_group,
        any_value(type_of_force) as type_of_force,
        any_value(parent_tactic) as parent_tactic,
        bool_or(is_total_row) as is_total_row,
        ethnic_group,
        bool_and(uses is not null) as reported,
        case when bool_and(uses is not null) then sum(uses) end as uses,
        bool_or(is_synthetic) as is_synthetic
    from cells
    group by force, financial_year, tactic, ethnic_group

),

final as (

    select
        force,
        financial_year,
        tactic,
        tactic_group,
        type_of_force,
        parent_tactic,
        is_total_row,
        ethnic_group,
        cast(uses as bigint) as uses,
        reported,
        round(uses / nullif(sum(uses) over (partition by force, financial_year, tactic), 0), 4) as share_of_reported,
        is_synthetic
    from groups

)

select * from final
