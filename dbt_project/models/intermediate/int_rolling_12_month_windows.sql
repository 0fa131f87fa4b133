with

loaded_batches as (

    select * from {{ ref('stg_audit__loaded_batches') }}

),

-- a month is loaded when police.uk published records for it; an `empty`
-- batch (nothing published yet) does not count
loaded_months as (

    select distinct period_month as "month"
    from loaded_batches
    where table_name = 'police_uk_stop_searches'
      and status = 'loaded'
      and period_month is not null

),

windows as (

    select
        period_end."month" as period_end,
        cast(period_end."month" - interval 11 month as date) as window_start,
        cast(count(*) as integer) as months_in_window
    from loaded_months as period_end
    inner join loaded_months as in_window
        on in_window."month" between period_end."month" - interval 11 month
                                 and period_end."month"
    group by 1, 2

),

final as (

    select
        period_end,
        window_start,
        months_in_window,
        months_in_window = 12 as is_complete
    from windows

)

select * from final
