-- Each workforce target of the plan (seed plan_targets) and assessment period
-- beside its actual series from the marts: one row per target, or for a
-- recurring target (`recurrence` = financial_year) one per financial year
-- from its first. For each: the deadline of the period, the value at the
-- deadline (a recurring target's own year; otherwise the nearest observation
-- on or before the deadline), whether the data reaches the deadline, the
-- latest value and date, the straight-line trajectory from the paper's
-- baseline to the target at the deadline evaluated at the latest date, and
-- the share projected at the deadline by an ordinary least-squares line
-- through the latest `target_trend_points` values (dates in years). The
-- status rule is applied in workforce_targets.
with

targets as (

    select * from {{ ref('plan_targets') }}
    where area = 'workforce'

),

representation as (

    select * from {{ ref('workforce_representation') }}

),

recruitment as (

    select * from {{ ref('recruitment_shares') }}

),

promotion as (

    select * from {{ ref('promotion_shares') }}

),

actuals as (

    select 'officer_share' as measure, force, rank as population, ethnic_group, as_at as actual_date, share as value
    from representation
    where worker_type = 'Police officer' and share is not null

    union all

    select 'recruit_share', force, 'New recruits', 'Ethnic minority', year_end, ethnic_minority_share
    from recruitment
    where ethnic_minority_share is not null

    union all

    select 'recruit_share', force, 'New recruits', 'Black', year_end, black_share
    from recruitment
    where black_share is not null

    union all

    select 'promotion_share', force, rank_promoted_to, 'Ethnic minority', year_end, ethnic_minority_share
    from promotion
    where ethnic_minority_share is not null

    union all

    select 'promotion_share', force, rank_promoted_to, 'Black', year_end, black_share
    from promotion
    where black_share is not null

),

series as (

    select
        targets.target_id,
        actuals.actual_date,
        actuals.value,
        date_diff('day', date '2000-01-01', actuals.actual_date) / 365.25 as years,
        row_number() over (partition by targets.target_id order by actuals.actual_date desc) as recency
    from targets
    inner join actuals
        on actuals.measure = targets.measure
        and actuals.force = targets.force
        and actuals.population = targets.population
        and actuals.ethnic_group = targets.ethnic_group

),

latest as (

    select target_id, actual_date as latest_date, value as latest_value
    from series
    where recency = 1

),

trend as (

    select
        target_id,
        count(*) as trend_points,
        regr_slope(value, years) as slope,
        regr_intercept(value, years) as intercept
    from series
    where recency <= {{ var('target_trend_points') }}
    group by target_id
    having count(*) >= 2

),

periods as (

    -- a one-off target: its one deadline; a recurring one: each financial year from its first
    -- (dated at its 31 March end) to the latest year loaded, at least the first
    select targets.target_id, targets.deadline as period_deadline, cast(null as varchar) as period
    from targets
    where coalesce(targets.recurrence, '') = ''

    union all

    select
        targets.target_id,
        cast(year_end as date),
        cast(year(year_end) - 1 as varchar) || '-' || right(cast(year(year_end) as varchar), 2)
    from targets
    left join latest using (target_id)
    cross join lateral (
        select unnest(generate_series(
            targets.deadline,
            greatest(targets.deadline, coalesce(latest.latest_date, targets.deadline)),
            interval 1 year)) as year_end
    )
    where targets.recurrence = 'financial_year'

),

at_deadline as (

    select
        periods.target_id,
        periods.period,
        arg_max(series.value, series.actual_date) as value_at_deadline,
        max(series.actual_date) as value_at_deadline_date
    from periods
    inner join series
        on series.target_id = periods.target_id
        and series.actual_date <= periods.period_deadline
        -- a recurring target is judged on its own year only
        and (periods.period is null or series.actual_date = periods.period_deadline)
    group by all

),

final as (

    select
        targets.target_id,
        periods.period,
        targets.measure,
        targets.force,
        targets.population,
        targets.ethnic_group,
        targets.target_share,
        periods.period_deadline as deadline,
        targets.deadline_text,
        targets.recurrence,
        targets.baseline_value,
        targets.baseline_date,
        targets.baseline_text,
        targets.baseline_note,
        latest.latest_value,
        latest.latest_date,
        -- final once the data reaches the deadline; before, there is no value at the deadline yet
        case when latest.latest_date >= periods.period_deadline then at_deadline.value_at_deadline end as value_at_deadline,
        case when latest.latest_date >= periods.period_deadline then at_deadline.value_at_deadline_date end as value_at_deadline_date,
        coalesce(latest.latest_date >= periods.period_deadline, false) as is_deadline_reached,
        case
            when periods.period_deadline is null or latest.latest_date is null or latest.latest_date < targets.baseline_date then null
            when latest.latest_date >= periods.period_deadline then targets.target_share
            else targets.baseline_value + (targets.target_share - targets.baseline_value)
                * date_diff('day', targets.baseline_date, latest.latest_date)
                / date_diff('day', targets.baseline_date, periods.period_deadline)
        end as trajectory_value,
        case
            when periods.period_deadline is not null
                then trend.intercept + trend.slope * (date_diff('day', date '2000-01-01', periods.period_deadline) / 365.25)
        end as projected_at_deadline,
        coalesce(trend.trend_points, 0) as trend_points,
        targets.action_number,
        targets.paper,
        targets.paper_date
    from targets
    inner join periods using (target_id)
    left join latest using (target_id)
    left join trend using (target_id)
    left join at_deadline
        on at_deadline.target_id = periods.target_id
        and at_deadline.period is not distinct from periods.period

)

select * from final
