with

interviews as (

    select * from {{ ref('stg_pas__interviews') }}

),

-- a calendar quarter counts when it holds interviews
surveyed_quarters as (

    select distinct quarter_end
    from interviews
    where quarter_end is not null

),

-- the rolling 12 months ending at a surveyed quarter: that quarter and the
-- three before it
windows as (

    select
        period_end.quarter_end as period_end,
        cast(period_end.quarter_end - interval 1 year + interval 1 day as date) as window_start,
        cast(count(*) as integer) as quarters_in_window
    from surveyed_quarters as period_end
    inner join surveyed_quarters as in_window
        on in_window.quarter_end > period_end.quarter_end - interval 1 year
        and in_window.quarter_end <= period_end.quarter_end
    group by 1, 2

),

final as (

    select
        period_end,
        window_start,
        quarters_in_window,
        quarters_in_window = 4 as is_complete
    from windows

)

select * from final
