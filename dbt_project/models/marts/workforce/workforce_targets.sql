-- One row per workforce target of the plan, with its latest actual, the
-- straight-line trajectory, the projection at the deadline and a status by
-- the documented rule (workforce_targets.yml). Shares are compared at six
-- decimals, so that 0.2 - 0.02 is 0.18 and edges fall where the rule says.
with

progress as (

    select * from {{ ref('int_workforce__target_progress') }}

),

final as (

    select
        target_id,
        measure,
        force,
        population,
        ethnic_group,
        target_share,
        deadline,
        deadline_text,
        baseline_value,
        baseline_date,
        latest_value,
        latest_date,
        trajectory_value,
        projected_at_deadline,
        trend_points,
        case
            when latest_value is null then 'no_data'
            when round(latest_value, 6) >= round(target_share, 6) then 'met'
            when deadline is not null and latest_date >= deadline then 'off_track'
            when round(projected_at_deadline, 6) >= round(target_share, 6) then 'on_track'
            when round(projected_at_deadline, 6) >= round(target_share - {{ var('target_at_risk_margin') }}, 6)
                or round(latest_value, 6) >= round(trajectory_value, 6)
                or (deadline is null and round(latest_value, 6) >= round(target_share - {{ var('target_at_risk_margin') }}, 6))
                then 'at_risk'
            else 'off_track'
        end as status,
        action_number,
        paper,
        paper_date
    from progress

)

select * from final
order by target_id
