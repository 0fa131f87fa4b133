-- New recruits (joiner type `New recruit`, police officers) per financial
-- year and force: counts and the ethnic-minority and Black shares of those
-- with a stated ethnicity.
with

recruits as (

    select * from {{ ref('stg_workforce__joiners') }}
    where joiner_type = 'New recruit'
      and worker_type = 'Police officer'
      and not is_total_row

),

counted as (

    select
        financial_year,
        year_end,
        force,
        sum(headcount) as recruits,
        sum(headcount) filter (where ethnic_group <> 'Not stated') as stated_recruits,
        sum(headcount) filter (where {{ is_ethnic_minority('ethnic_group') }}) as ethnic_minority_recruits,
        sum(headcount) filter (where ethnic_group = 'Black') as black_recruits
    from recruits
    group by all

),

final as (

    select
        financial_year,
        year_end,
        force,
        cast(recruits as bigint) as recruits,
        cast(coalesce(stated_recruits, 0) as bigint) as stated_recruits,
        cast(coalesce(ethnic_minority_recruits, 0) as bigint) as ethnic_minority_recruits,
        cast(coalesce(black_recruits, 0) as bigint) as black_recruits,
        case when stated_recruits > 0 then coalesce(ethnic_minority_recruits, 0) / stated_recruits end as ethnic_minority_share,
        case when stated_recruits > 0 then coalesce(black_recruits, 0) / stated_recruits end as black_share
    from counted

)

select * from final
order by financial_year, force
