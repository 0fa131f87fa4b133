-- One row per quantitative commitment of the plan (seed
-- scorecard_commitments) and assessment period (a recurring target has one
-- per financial year): whether it is the plan's own target or a parity
-- benchmark this project adds, its latest value, interval, date and source,
-- target, deadline and value at the deadline, the papers' baseline, status by
-- the documented rule (action_plan_scorecard.yml: `target`, `parity` or
-- `reduction`), staleness against its
-- source's release cycle, and whether any input it is computed from is
-- SYNTHETIC.
with

commitments as (

    select * from {{ ref('scorecard_commitments') }}

),

targets as (

    select * from {{ ref('workforce_targets') }}

),

batches as (

    select * from {{ ref('stg_audit__loaded_batches') }}

),

gap_windows as (

    select period_end, gap_pp as value, ci_low, ci_high,
           row_number() over (order by period_end desc) as recency
    from {{ ref('trust_gap') }}
    where area = 'London' and measure = 'Trust MPS' and group_a = 'White' and group_b = 'Black'
      and is_complete and not suppressed

),

ratio_windows as (

    select period_end, ratio_vs_white as value, ratio_ci_low as ci_low, ratio_ci_high as ci_high,
           row_number() over (order by period_end desc) as recency
    from {{ ref('stop_search_disproportionality') }}
    where area = 'London' and ethnicity_basis = 'self_defined' and ethnic_group = 'Black'
      and is_complete and not suppressed

),

parity_measures as (

    select 'trust_gap_black_white' as commitment_id, 'marts.trust_gap' as source_mart, latest.period_end, latest.value,
           latest.ci_low, latest.ci_high, year_ago.value as value_year_before
    from gap_windows as latest
    left join gap_windows as year_ago on year_ago.period_end = latest.period_end - interval 12 month
    where latest.recency = 1

    union all

    select 'stop_search_black_white_ratio', 'marts.stop_search_disproportionality', latest.period_end, latest.value,
           latest.ci_low, latest.ci_high, year_ago.value
    from ratio_windows as latest
    left join ratio_windows as year_ago on year_ago.period_end = latest.period_end - interval 12 month
    where latest.recency = 1

),

-- action 17's misconduct ratio, Met, ethnic minority against White, per financial year
misconduct_years as (

    select financial_year, year_end, ratio_to_white as value, ratio_ci_low as ci_low, ratio_ci_high as ci_high,
           row_number() over (order by year_end desc) as recency
    from {{ ref('misconduct_disproportionality') }}
    where force = 'Metropolitan Police' and ethnic_group = 'Ethnic minority'
      and not suppressed and ratio_to_white is not null

),

-- the `reduction` commitment: the latest year, the baseline year (the one
-- ending on the seed's baseline_date), and the latest year ending on or
-- before the deadline (the value it is judged on)
reduction_measures as (

    select
        commitments.commitment_id,
        latest.year_end as period_end,
        latest.value,
        latest.ci_low,
        latest.ci_high,
        baseline.value as baseline_value,
        baseline.financial_year || ': a ratio of ' || round(baseline.value, 2) || ' (95% interval '
            || round(baseline.ci_low, 2) || ' to ' || round(baseline.ci_high, 2) || ')' as baseline_text,
        at_deadline.value as value_at_deadline,
        at_deadline.ci_low as deadline_ci_low,
        at_deadline.ci_high as deadline_ci_high,
        at_deadline.year_end as value_at_deadline_date,
        latest.year_end >= commitments.deadline as reaches_deadline
    from commitments
    inner join misconduct_years as latest on latest.recency = 1
    left join misconduct_years as baseline on baseline.year_end = commitments.baseline_date
    left join misconduct_years as at_deadline
        on at_deadline.year_end = (select max(year_end) from misconduct_years where year_end <= commitments.deadline)
    where commitments.commitment_id = 'misconduct_ratio_2024'

),

synthetic_sources as (

    select source, bool_or(is_synthetic) as is_synthetic
    from batches
    group by source

),

commitment_synthetic as (

    select commitments.commitment_id, coalesce(bool_or(synthetic_sources.is_synthetic), false) as is_synthetic
    from commitments
    left join synthetic_sources
        on list_contains(string_split(commitments.source_names, ';'), synthetic_sources.source)
    group by commitments.commitment_id

),

scored as (

    select
        commitments.commitment_id,
        targets.period,
        commitments.commitment,
        commitments.action_number,
        commitments.benchmark_kind,
        commitments.measure,
        coalesce(targets.latest_value, parity_measures.value, reduction_measures.value) as latest_value,
        coalesce(parity_measures.ci_low, reduction_measures.ci_low) as ci_low,
        coalesce(parity_measures.ci_high, reduction_measures.ci_high) as ci_high,
        cast(coalesce(targets.latest_date, cast(parity_measures.period_end as date), reduction_measures.period_end) as date)
            as latest_date,
        case
            when commitments.rule = 'target' and targets.measure = 'recruit_share' then 'marts.recruitment_shares'
            when commitments.rule = 'target' and targets.measure = 'promotion_share' then 'marts.promotion_shares'
            when commitments.rule = 'target' then 'marts.workforce_representation'
            when commitments.rule = 'reduction' then 'marts.misconduct_disproportionality'
            else parity_measures.source_mart
        end as source,
        coalesce(targets.target_share, commitments.parity_value) as target_value,
        cast(coalesce(targets.deadline, commitments.deadline) as date) as deadline,
        coalesce(targets.value_at_deadline, reduction_measures.value_at_deadline) as value_at_deadline,
        cast(coalesce(targets.value_at_deadline_date, reduction_measures.value_at_deadline_date) as date)
            as value_at_deadline_date,
        coalesce(targets.baseline_value, commitments.baseline_value, reduction_measures.baseline_value) as baseline_value,
        cast(coalesce(targets.baseline_date, commitments.baseline_date) as date) as baseline_date,
        coalesce(targets.baseline_text, commitments.baseline_text, reduction_measures.baseline_text) as baseline_text,
        coalesce(targets.baseline_note, commitments.baseline_note) as baseline_note,
        commitments.rule as status_rule,
        case
            when commitments.rule = 'target' then coalesce(targets.status, 'no_data')
            -- `reduction` (action 17): significantly below the baseline year's value, judged once the data
            -- reaches the deadline on the latest year ending on or before it; before that, the latest year
            when commitments.rule = 'reduction' then
                case
                    when reduction_measures.value is null then 'no_data'
                    when reduction_measures.reaches_deadline and reduction_measures.value_at_deadline is not null then
                        case
                            -- the data cannot tell that year from no disproportionality: nor a reduction
                            when reduction_measures.deadline_ci_low <= commitments.parity_value
                                 and commitments.parity_value <= reduction_measures.deadline_ci_high
                                then 'consistent_with_parity'
                            when reduction_measures.baseline_value is null then 'no_data'
                            when reduction_measures.deadline_ci_high < reduction_measures.baseline_value then 'met'
                            else 'missed'
                        end
                    when reduction_measures.ci_low <= commitments.parity_value
                         and commitments.parity_value <= reduction_measures.ci_high then 'consistent_with_parity'
                    when reduction_measures.baseline_value is null then 'at_risk'
                    when reduction_measures.ci_high < reduction_measures.baseline_value then 'on_track'
                    when reduction_measures.value < reduction_measures.baseline_value then 'at_risk'
                    else 'off_track'
                end
            when parity_measures.value is null then 'no_data'
            when parity_measures.ci_low <= commitments.parity_value and commitments.parity_value <= parity_measures.ci_high
                then 'consistent_with_parity'
            when parity_measures.value_year_before is null then 'at_risk'
            when abs(parity_measures.value - commitments.parity_value)
                 < abs(parity_measures.value_year_before - commitments.parity_value) then 'on_track'
            else 'off_track'
        end as status,
        commitments.release_cycle_months,
        commitments.publication_lag_months,
        commitments.source_names
    from commitments
    left join targets on targets.target_id = commitments.target_id
    left join parity_measures on parity_measures.commitment_id = commitments.commitment_id
    left join reduction_measures on reduction_measures.commitment_id = commitments.commitment_id

),

final as (

    select
        scored.commitment_id,
        scored.period,
        scored.commitment,
        scored.action_number,
        scored.benchmark_kind,
        scored.measure,
        scored.latest_value,
        scored.ci_low,
        scored.ci_high,
        scored.latest_date,
        scored.source,
        scored.source_names,
        scored.target_value,
        scored.deadline,
        scored.value_at_deadline,
        scored.value_at_deadline_date,
        scored.baseline_value,
        scored.baseline_date,
        scored.baseline_text,
        scored.baseline_note,
        scored.status_rule,
        scored.status,
        coalesce(scored.latest_date + to_months(scored.release_cycle_months + scored.publication_lag_months)
                 < current_date, false) as stale,
        commitment_synthetic.is_synthetic
    from scored
    left join commitment_synthetic using (commitment_id)

)

select * from final
order by commitment_id, period
