with

period_counts as (

    select * from {{ ref('int_stop_searches__period_counts') }}

),

-- a month's stops can come from two police.uk periods: sum over them
aggregated as (

    select
        "month",
        borough,
        ethnicity_basis,
        ethnic_group,
        cast(sum(searches) as bigint) as searches,
        cast(sum(arrests) as bigint) as arrests,
        cast(sum(no_further_action) as bigint) as no_further_action,
        cast(sum(linked_outcomes) as bigint) as linked_outcomes,
        cast(sum(more_than_outer_clothing) as bigint) as more_than_outer_clothing,
        cast(sum(drug_searches) as bigint) as drug_searches
    from period_counts
    group by all

),

final as (

    select * from aggregated

)

select * from final
