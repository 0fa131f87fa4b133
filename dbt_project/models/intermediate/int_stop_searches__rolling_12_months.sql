with

period_counts as (

    select * from {{ ref('int_stop_searches__period_counts') }}

),

windows as (

    select * from {{ ref('int_rolling_12_month_windows') }}

),

-- a stop counts for its borough and for London; stops in no known borough
-- (no location, outside the boundaries) count for London only
by_area as (

    select "month", borough as area, ethnicity_basis, ethnic_group, searches, arrests
    from period_counts
    where borough <> 'Unknown'
    union all
    select "month", 'London' as area, ethnicity_basis, ethnic_group, searches, arrests
    from period_counts

),

-- one row per month and cell first: the window join then multiplies cells, not stops
monthly as (

    select
        "month",
        area,
        ethnicity_basis,
        ethnic_group,
        sum(searches) as searches,
        sum(arrests) as arrests
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
