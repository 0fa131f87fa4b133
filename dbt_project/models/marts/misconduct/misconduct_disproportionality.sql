-- Disproportionality at the end of the misconduct process (action 17), per
-- financial year, force and ethnic group: police officers dismissed in the
-- year (the Home Office leavers table, leaver type `Dismissal`, every rank)
-- against the officers in post at its start (31 March before it), the rate
-- per 1,000 officers and the ratio to White officers' rate with its 95%
-- interval. The misconduct open data tables (proceedings by ethnicity) are
-- not read yet (decision 0051): `measure` names what is counted.
with

dismissals as (

    select financial_year, year_end, force, ethnic_group, sum(headcount) as individuals
    from {{ ref('stg_workforce__leavers') }}
    where not is_total_row
      and worker_type = 'Police officer'
      and leaver_type = 'Dismissal'
    group by all

),

-- every year and force with a leavers table: a group nobody of was dismissed is a 0
years as (

    select distinct financial_year, year_end, force
    from {{ ref('stg_workforce__leavers') }}
    where worker_type = 'Police officer'

),

groups as (

    select unnest([{{ sql_strings(ethnic_groups_with_not_stated()) }}]) as ethnic_group

),

cells as (

    select years.financial_year, years.year_end, years.force, groups.ethnic_group,
           coalesce(dismissals.individuals, 0) as individuals
    from years
    cross join groups
    left join dismissals
        on dismissals.financial_year = years.financial_year
        and dismissals.force = years.force
        and dismissals.ethnic_group = groups.ethnic_group

),

grouped as (

    select * from cells
    union all
    select financial_year, year_end, force, 'Ethnic minority' as ethnic_group, sum(individuals)
    from cells
    where {{ is_ethnic_minority('ethnic_group') }}
    group by all
    union all
    select financial_year, year_end, force, 'All' as ethnic_group, sum(individuals)
    from cells
    group by all

),

-- officers in post, all ranks (the representation mart's rule: only where the table has every rank)
officers as (

    select as_at, force, ethnic_group, headcount
    from {{ ref('workforce_representation') }}
    where worker_type = 'Police officer' and rank = 'All ranks'

),

officers_grouped as (

    select * from officers
    union all
    select as_at, force, 'All' as ethnic_group, sum(headcount)
    from officers
    where ethnic_group <> 'Ethnic minority'
    group by all

),

rated as (

    select
        grouped.*,
        officers_grouped.headcount as officers_at_start,
        sum(grouped.individuals) filter (where grouped.ethnic_group in ({{ sql_strings(broad_ethnic_groups()) }}))
            over year_force as stated_individuals,
        sum(grouped.individuals) filter (where grouped.ethnic_group = 'All') over year_force as all_individuals,
        case when officers_grouped.headcount > 0 then grouped.individuals * 1.0 / officers_grouped.headcount end as rate
    from grouped
    left join officers_grouped
        on officers_grouped.as_at = make_date(year(grouped.year_end) - 1, 3, 31)
        and officers_grouped.force = grouped.force
        and officers_grouped.ethnic_group = grouped.ethnic_group
    window year_force as (partition by grouped.financial_year, grouped.force)

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
