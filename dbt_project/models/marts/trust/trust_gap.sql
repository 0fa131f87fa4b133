with

rolling as (

    select * from {{ ref('int_pas__rolling_12_months') }}

),

-- the comparisons published: White, and White British as a variant, against
-- each minority broad group
group_pairs as (

    select group_a, group_b
    from (select unnest(['White', 'White British']) as group_a)
    cross join (select unnest(['Black', 'Asian', 'Mixed', 'Other']) as group_b)

),

-- every pair in every window, area and measure with valid answers, so a
-- group with no respondents is a row with n = 0 (suppressed)
cells as (

    select distinct period_end, window_start, quarters_in_window, is_complete, area, measure
    from rolling
    where respondent_group = 'All'
      and respondents > 0

),

paired as (

    select
        cells.*,
        group_pairs.group_a,
        group_pairs.group_b,
        coalesce(a.respondents, 0) as n_a,
        coalesce(b.respondents, 0) as n_b,
        coalesce(a.weighted_respondents, 0) + coalesce(b.weighted_respondents, 0) as n_weighted,
        -- weighted shares (0-1) and Kish effective bases (sum w)^2 / sum w^2
        case when a.sum_weight > 0 then a.sum_weight_positive / a.sum_weight end as p_a,
        case when b.sum_weight > 0 then b.sum_weight_positive / b.sum_weight end as p_b,
        case when a.sum_weight_squared > 0 then a.sum_weight * a.sum_weight / a.sum_weight_squared end as n_eff_a,
        case when b.sum_weight_squared > 0 then b.sum_weight * b.sum_weight / b.sum_weight_squared end as n_eff_b
    from cells
    cross join group_pairs
    left join rolling as a
        on cells.period_end = a.period_end
        and cells.area = a.area
        and cells.measure = a.measure
        and group_pairs.group_a = a.respondent_group
    left join rolling as b
        on cells.period_end = b.period_end
        and cells.area = b.area
        and cells.measure = b.measure
        and group_pairs.group_b = b.respondent_group

),

-- suppressed when either unweighted valid base is below var pas_min_base
flagged as (

    select
        *,
        n_a < {{ var('pas_min_base', 100) }} or n_b < {{ var('pas_min_base', 100) }} as suppressed
    from paired

),

-- independent samples: SE of the difference = sqrt(p_a(1-p_a)/n_eff_a +
-- p_b(1-p_b)/n_eff_b); 95% interval = gap +/- 1.96 SE, in percentage points
compared as (

    select
        *,
        case
            when not suppressed
                then 100 * (p_a - p_b)
        end as gap_exact,
        case
            when not suppressed
                then 100 * 1.96 * sqrt(p_a * (1 - p_a) / n_eff_a + p_b * (1 - p_b) / n_eff_b)
        end as margin_exact
    from flagged

),

final as (

    select
        period_end,
        window_start,
        quarters_in_window,
        is_complete,
        area,
        measure,
        group_a,
        group_b,
        case when not suppressed then round(100 * p_a, 2) end as pct_a,
        case when not suppressed then round(100 * p_b, 2) end as pct_b,
        round(gap_exact, 2) as gap_pp,
        round(gap_exact - margin_exact, 2) as ci_low,
        round(gap_exact + margin_exact, 2) as ci_high,
        n_a,
        n_b,
        round(n_eff_a, 1) as n_eff_a,
        round(n_eff_b, 1) as n_eff_b,
        suppressed,
        {{ pas_weighting('n_weighted', 'n_a + n_b') }} as weighting
    from compared

)

select * from final
