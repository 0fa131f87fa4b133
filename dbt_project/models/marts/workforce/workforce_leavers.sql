-- Police officers leaving, per financial year, force, rank and ethnic group:
-- how many left, how many resigned, and the leaving rate against the
-- officers in post at the start of the year (31 March before it).
with

leavers as (

    select * from {{ ref('stg_workforce__leavers') }}
    where not is_total_row
      and worker_type = 'Police officer'

),

-- officers in post by rank and group, from the representation mart (so the
-- same `All ranks` rule holds: only where the table has every rank)
officers as (

    select as_at, force, rank, ethnic_group, headcount
    from {{ ref('workforce_representation') }}
    where worker_type = 'Police officer'
      and ethnic_group <> 'Ethnic minority'

),

groups as (

    select unnest([{{ sql_strings(ethnic_groups_with_not_stated()) }}]) as ethnic_group

),

by_rank as (

    select
        financial_year,
        year_end,
        force,
        rank,
        ethnic_group,
        sum(headcount) as leavers,
        coalesce(sum(headcount) filter (where leaver_type = 'Voluntary resignation'), 0) as resignations,
        coalesce(sum(headcount) filter (where leaver_type = 'Dismissal'), 0) as dismissals
    from leavers
    group by all

),

counted as (

    select * from by_rank
    union all
    select financial_year, year_end, force, 'All ranks' as rank, ethnic_group, sum(leavers), sum(resignations),
           sum(dismissals)
    from by_rank
    group by all

),

-- every group for every year, force and rank, zero when none left
cells as (

    select keys.financial_year, keys.year_end, keys.force, keys.rank, groups.ethnic_group,
           coalesce(counted.leavers, 0) as leavers,
           coalesce(counted.resignations, 0) as resignations,
           coalesce(counted.dismissals, 0) as dismissals
    from (select distinct financial_year, year_end, force, rank from counted) as keys
    cross join groups
    left join counted
        on counted.financial_year = keys.financial_year
        and counted.force = keys.force
        and counted.rank = keys.rank
        and counted.ethnic_group = groups.ethnic_group

),

-- the broad groups, plus `Ethnic minority` (Asian, Black, Mixed, Other) and `All`
grouped as (

    select * from cells
    union all
    select financial_year, year_end, force, rank, 'Ethnic minority' as ethnic_group, sum(leavers), sum(resignations),
           sum(dismissals)
    from cells
    where {{ is_ethnic_minority('ethnic_group') }}
    group by all
    union all
    select financial_year, year_end, force, rank, 'All' as ethnic_group, sum(leavers), sum(resignations),
           sum(dismissals)
    from cells
    group by all

),

officers_grouped as (

    select * from officers
    union all
    select as_at, force, rank, 'Ethnic minority' as ethnic_group, sum(headcount)
    from officers
    where {{ is_ethnic_minority('ethnic_group') }}
    group by all
    union all
    select as_at, force, rank, 'All' as ethnic_group, sum(headcount)
    from officers
    group by all

),

rated as (

    select
        grouped.*,
        officers_grouped.headcount as officers_at_start,
        case when officers_grouped.headcount > 0 then grouped.leavers / officers_grouped.headcount end as leaving_rate,
        case when officers_grouped.headcount > 0 then grouped.resignations / officers_grouped.headcount end as resignation_rate
    from grouped
    left join officers_grouped
        on officers_grouped.as_at = make_date(year(grouped.year_end) - 1, 3, 31)
        and officers_grouped.force = grouped.force
        and officers_grouped.rank = grouped.rank
        and officers_grouped.ethnic_group = grouped.ethnic_group

),

-- White officers' rate and headcount beside each group's, for the gap and its interval
with_white as (

    select
        *,
        max(leaving_rate) filter (where ethnic_group = 'White') over cell as white_rate,
        max(officers_at_start) filter (where ethnic_group = 'White') over cell as white_officers
    from rated
    window cell as (partition by financial_year, force, rank)

),

final as (

    select
        financial_year,
        year_end,
        force,
        rank,
        ethnic_group,
        cast(leavers as bigint) as leavers,
        cast(resignations as bigint) as resignations,
        cast(dismissals as bigint) as dismissals,
        cast(officers_at_start as bigint) as officers_at_start,
        leaving_rate,
        resignation_rate,
        round(leaving_rate / nullif(white_rate, 0), 4) as leaving_rate_ratio_to_white,
        -- the difference of two independent proportions and its 95% Wald interval; `All` contains White, so not it
        case when ethnic_group <> 'All' then round(leaving_rate - white_rate, 6) end as leaving_rate_gap_to_white,
        {% for bound, sign in [('low', '-'), ('high', '+')] %}
        case
            when ethnic_group = 'All' then null
            when ethnic_group = 'White' then round(leaving_rate - white_rate, 6)
            else round(leaving_rate - white_rate {{ sign }} 1.96 * sqrt(
                leaving_rate * (1 - leaving_rate) / officers_at_start + white_rate * (1 - white_rate) / white_officers), 6)
        end as leaving_rate_gap_ci_{{ bound }}{{ "," if not loop.last }}
        {% endfor %}
    from with_white

)

select * from final
order by financial_year, force, rank, ethnic_group
