-- Disproportionality at the end of the misconduct process (action 17), per
-- financial year, force and ethnic group: police officers dismissed in the
-- year (marts.workforce_leavers: leaver type `Dismissal`, all ranks) against
-- the officers in post at its start (31 March before it), the rate
-- per 1,000 officers and the ratio to White officers' rate with its 95%
-- interval. The misconduct open data tables (proceedings by ethnicity) are
-- not read yet (decision 0051): `measure` names what is counted.
with

-- every year, force and group of the leavers mart (zero included), all ranks: its dismissals
-- and the officers in post at the start of the year
counted as (

    select financial_year, year_end, force, ethnic_group, dismissals as individuals, officers_at_start,
           case when officers_at_start > 0 then dismissals * 1.0 / officers_at_start end as rate
    from {{ ref('workforce_leavers') }}
    where rank = 'All ranks'

),

rated as (

    select
        *,
        sum(individuals) filter (where ethnic_group in ({{ sql_strings(broad_ethnic_groups()) }})) over year_force
            as stated_individuals,
        sum(individuals) filter (where ethnic_group = 'All') over year_force as all_individuals
    from counted
    window year_force as (partition by financial_year, force)

),

with_white as (

    select
        *,
        max(rate) filter (where ethnic_group = 'White') over cell as white_rate,
        max(individuals) filter (where ethnic_group = 'White') over cell as white_individuals,
        max(officers_at_start) filter (where ethnic_group = 'White') over cell as white_officers
    from rated
    window cell as (partition by financial_year, force)

),

-- as the other disproportionality marts: a ratio needs 10 people in both
-- groups (and a start-of-year headcount for both)
flagged as (

    select
        *,
        case
            when ethnic_group in ('Not stated', 'All') then false
            else coalesce(individuals < 10 or white_individuals < 10 or officers_at_start is null
                          or white_officers is null, true)
        end as suppressed
    from with_white

),

-- the ratio of two proportions and its 95% interval on the log scale (Katz):
-- exp(ln(ratio) +/- 1.96 sqrt(1/a - 1/n + 1/b - 1/m)), a and b dismissed of n and m officers
compared as (

    select
        *,
        case
            when not suppressed and ethnic_group not in ('Not stated', 'All') then rate / white_rate
        end as ratio_exact,
        case
            when ethnic_group = 'White' then 0
            else 1.96 * sqrt(1.0 / individuals - 1.0 / officers_at_start + 1.0 / white_individuals - 1.0 / white_officers)
        end as log_ratio_margin
    from flagged

),

final as (

    select
        financial_year,
        year_end,
        force,
        'Dismissal' as measure,
        ethnic_group,
        cast(individuals as bigint) as individuals,
        cast(officers_at_start as bigint) as officers_at_start,
        round(rate * 1000, 4) as rate_per_1000,
        round(ratio_exact, 4) as ratio_to_white,
        round(exp(ln(ratio_exact) - log_ratio_margin), 4) as ratio_ci_low,
        round(exp(ln(ratio_exact) + log_ratio_margin), 4) as ratio_ci_high,
        suppressed,
        round(case when all_individuals > 0 then stated_individuals * 1.0 / all_individuals end, 4) as ethnicity_stated_share
    from compared

)

select * from final
order by financial_year, force, ethnic_group
