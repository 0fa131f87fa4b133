-- One row per workforce target of the plan and assessment period (a
-- recurring target has one per financial year), with the value at its
-- deadline, its latest actual, the straight-line trajectory, the projection
-- at the deadline and a status by the documented rule (workforce_targets.yml).
-- Shares are compared at six decimals, so that 0.2 - 0.02 is 0.18 and edges
-- fall where the rule says.
with

progress as (

    select * from {{ ref('int_workforce__target_progress') }}

),

final as (

    select
        target_id,
        period,
        measure,
        force,
        population,
        ethnic_group,
        target_share,
        deadline,
        deadline_text,
        recurrence,
        baseline_value,
        baseline_date,
        baseline_text,
        baseline_note,
        value_at_deadline,
        value_at_deadline_date,
        is_deadline_reached,
        latest_value,
        latest_date,
        trajectory_value,
        projected_at_deadline,
        trend_points,
        case
            when latest_value is null then 'no_data'
            -- no deadline: the latest value against the target
            when deadline is null and round(latest_value, 6) >= round(target_share, 6) then 'met'
            when deadline is null and round(latest_value, 6) >= round(target_share - {{ var('target_at_risk_margin') }}, 6) then 'at_risk'
            when deadline is null then 'off_track'
            -- the data reaches the deadline: judged on the value at the deadline, once
            when is_deadline_reached and value_at_deadline is null then 'no_data'
            when is_deadline_reached and round(value_at_deadline, 6) >= round(target_share, 6) then 'met'
            when is_deadline_reached then 'missed'
            -- before the deadline: where it is heading
            when round(latest_value, 6) >= round(target_share, 6) then 'on_track'
            when round(projected_at_deadline, 6) >= round(target_share, 6) then 'on_track'
            when round(projected_at_deadline, 6) >= round(target_share - {{ var('target_at_risk_margin') }}, 6)
                or round(latest_value, 6) >= round(trajectory_value, 6)
                then 'at_risk'
            else 'off_track'
        end as status,
        action_number,
        paper,
        paper_date
    from progress

)

select * from final
order by target_id, period
