with

stop_searches as (

    select * from {{ ref('int_stop_searches__located') }}

),

windows as (

    select * from {{ ref('int_rolling_12_month_windows') }}

),

-- each stop once under each basis of ethnicity
by_basis as (

    select "month", borough, outcome_category,
        'self_defined' as ethnicity_basis, self_defined_ethnic_group as ethnic_group
    from stop_searches
    union all
    select "month", borough, outcome_category,
        'officer_defined' as ethnicity_basis, officer_defined_ethnic_group as ethnic_group
    from stop_searches

),

-- a stop counts for its borough and for London; stops in no known borough
-- (no location, outside the boundaries) count for London only
by_area as (

    select "month", borough as area, outcome_category, ethnicity_basis, ethnic_group
    from by_basis
    where borough <> 'Unknown'
    union all
    select "month", 'London' as area, outcome_category, ethnicity_basis, ethnic_group
    from by_basis

),

-- one row per month and cell first: the window join then multiplies cells, not stops
monthly as (

    select
        "month",
        area,
        ethnicity_basis,
        ethnic_group,
        count(*) as searches,
        count(*) filter (where outcome_category = 'Arrest') as arrests
    from by_area
    group by all

),

counted as (

    select
        windows.period_end,
        monthly.area,
        monthly.ethnicity_basis,
        monthly.ethnic_group,
        cast(sum(monthly.searches) as bigint) as searches,
        cast(sum(monthly.arrests) as bigint) as arrests
    from windows
    inner join monthly
        on monthly."month" between windows.window_start and windows.period_end
    group by all

),

final as (

    select * from counted

)

select * from final
