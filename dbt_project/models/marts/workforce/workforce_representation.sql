-- Officers (and other worker types) by rank and ethnic group at each 31
-- March, summed over sex, with each group's share of those with a stated
-- ethnicity. `All ranks` only where the table holds every rank for that
-- date, force and worker type: a partial table is never passed off as the
-- whole force.
with

officers as (

    select * from {{ ref('stg_workforce__officers') }}
    where not is_total_row

),

ranks_known as (

    select count(*) as ranks
    from {{ ref('workforce_labels') }}
    where dimension = 'rank'

),

groups as (

    select unnest([{{ sql_strings(ethnic_groups_with_not_stated()) }}]) as ethnic_group

),

by_rank as (

    select as_at, force, rank, worker_type, ethnic_group, sum(headcount) as headcount, sum(fte) as fte
    from officers
    group by all

),

complete_tables as (

    select as_at, force, worker_type
    from officers
    group by all
    having count(distinct rank) = (select ranks from ranks_known)

),

all_ranks as (

    select by_rank.as_at, by_rank.force, 'All ranks' as rank, by_rank.worker_type, by_rank.ethnic_group,
           sum(by_rank.headcount) as headcount, sum(by_rank.fte) as fte
    from by_rank
    inner join complete_tables using (as_at, force, worker_type)
    group by all

),

counted as (

    select * from by_rank
    union all
    select * from all_ranks

),

-- every group for every date, force, rank and worker type, zero when absent
cells as (

    select keys.as_at, keys.force, keys.rank, keys.worker_type, groups.ethnic_group,
           coalesce(counted.headcount, 0) as headcount,
           case when keys.has_fte then coalesce(counted.fte, 0) end as fte
    from (select as_at, force, rank, worker_type, bool_or(fte is not null) as has_fte from counted group by all) as keys
    cross join groups
    left join counted
        on counted.as_at = keys.as_at
        and counted.force = keys.force
        and counted.rank = keys.rank
        and counted.worker_type = keys.worker_type
        and counted.ethnic_group = groups.ethnic_group

),

with_minority as (

    select * from cells
    union all
    select as_at, force, rank, worker_type, 'Ethnic minority' as ethnic_group, sum(headcount), sum(fte)
    from cells
    where {{ is_ethnic_minority('ethnic_group') }}
    group by all

),

final as (

    select
        as_at,
        force,
        rank,
        worker_type,
        ethnic_group,
        cast(headcount as bigint) as headcount,
        cast(round(fte, 2) as double) as fte,  -- FTE is published to 2 decimals: a stable sum whatever the order
        case
            when ethnic_group <> 'Not stated' and stated > 0 then headcount / stated
        end as share,
        cast(stated as bigint) as stated_headcount
    from (
        select *,
               sum(case when ethnic_group in ({{ sql_strings(broad_ethnic_groups()) }}) then headcount else 0 end)
                   over (partition by as_at, force, rank, worker_type) as stated
        from with_minority
    )

)

select * from final
order by as_at, force, rank, worker_type, ethnic_group
