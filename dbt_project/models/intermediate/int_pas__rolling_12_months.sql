with

answers as (

    select * from {{ ref('int_pas__interviews_classified') }}
    where is_valid

),

windows as (

    select * from {{ ref('int_pas__rolling_quarters') }}

),

-- valid answers summed per quarter, borough, measure and group first, so the
-- windows add up a few thousand rows instead of every answer; the sums are
-- additive, so the Kish effective base can be formed after adding windows
quarter_cells as (

    select
        quarter_end,
        borough,
        measure,
        ethnic_group,
        is_white_british,
        count(*) as respondents,
        count(*) filter (where is_positive) as positives,
        count(*) filter (where is_weighted) as weighted_respondents,
        sum(weight) as sum_weight,
        sum(weight * weight) as sum_weight_squared,
        sum(weight) filter (where is_positive) as sum_weight_positive
    from answers
    group by all

),

-- an interview counts for its borough and for London; one with no known
-- borough counts for London only
by_area as (

    select quarter_cells.* exclude (borough), borough as area
    from quarter_cells
    where borough is not null
    union all
    select quarter_cells.* exclude (borough), 'London' as area
    from quarter_cells

),

-- each respondent counts in `All`, in their broad group and, when White
-- British, also in `White British`
by_group as (

    select by_area.*, 'All' as respondent_group from by_area
    union all
    select by_area.*, ethnic_group as respondent_group from by_area
    union all
    select by_area.*, 'White British' as respondent_group from by_area
    where is_white_british

),

summed as (

    select
        windows.period_end,
        windows.window_start,
        windows.quarters_in_window,
        windows.is_complete,
        by_group.area,
        by_group.measure,
        by_group.respondent_group,
        cast(sum(by_group.respondents) as bigint) as respondents,
        cast(sum(by_group.positives) as bigint) as positives,
        cast(sum(by_group.weighted_respondents) as bigint) as weighted_respondents,
        sum(by_group.sum_weight) as sum_weight,
        sum(by_group.sum_weight_squared) as sum_weight_squared,
        coalesce(sum(by_group.sum_weight_positive), 0) as sum_weight_positive
    from windows
    inner join by_group
        on by_group.quarter_end between windows.window_start and windows.period_end
    group by all

),

final as (

    select * from summed

)

select * from final
