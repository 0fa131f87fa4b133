-- Each workforce target of the plan (seed plan_targets) beside its actual
-- series from the marts: the latest value and date, the straight-line
-- trajectory from the paper's baseline to the target at the deadline,
-- evaluated at the latest date, and the share projected at the deadline by
-- an ordinary least-squares line through the latest `target_trend_points`
-- values (dates in years). The status rule is applied in workforce_targets.
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

final as (

    select
        targets.target_id,
        targets.measure,
        targets.force,
        targets.population,
        targets.ethnic_group,
        targets.target_share,
        targets.deadline,
        targets.deadline_text,
        targets.baseline_value,
        targets.baseline_date,
        latest.latest_value,
        latest.latest_date,
        case
            when targets.deadline is null or latest.latest_date is null or latest.latest_date < targets.baseline_date then null
            when latest.latest_date >= targets.deadline then targets.target_share
            else targets.baseline_value + (targets.target_share - targets.baseline_value)
                * date_diff('day', targets.baseline_date, latest.latest_date)
                / date_diff('day', targets.baseline_date, targets.deadline)
        end as trajectory_value,
        case
            when targets.deadline is not null
                then trend.intercept + trend.slope * (date_diff('day', date '2000-01-01', targets.deadline) / 365.25)
        end as projected_at_deadline,
        coalesce(trend.trend_points, 0) as trend_points,
        targets.action_number,
        targets.paper,
        targets.paper_date
    from targets
    left join latest using (target_id)
    left join trend using (target_id)

)

select * from final
