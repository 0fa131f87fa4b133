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

counted as (

    select
        windows.period_end,
        by_area.area,
        by_area.ethnicity_basis,
        by_area.ethnic_group,
        count(*) as searches,
        count(*) filter (where by_area.outcome_category = 'Arrest') as arrests
    from windows
    inner join by_area
        on by_area."month" between windows.window_start and windows.period_end
    group by all

),

final as (

    select * from counted

)

select * from final
