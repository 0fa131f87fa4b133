-- Officer promotions per financial year, force and rank promoted to:
-- counts and the ethnic-minority and Black shares of those with a stated
-- ethnicity.
with

promotions as (

    select * from {{ ref('stg_workforce__promotions') }}
    where not is_total_row

),

counted as (

    select
        financial_year,
        year_end,
        force,
        rank_promoted_to,
        sum(headcount) as promotions,
        sum(headcount) filter (where ethnic_group <> 'Not stated') as stated_promotions,
        sum(headcount) filter (where {{ is_ethnic_minority('ethnic_group') }}) as ethnic_minority_promotions,
        sum(headcount) filter (where ethnic_group = 'Black') as black_promotions
    from promotions
    group by all

),

final as (

    select
        financial_year,
        year_end,
        force,
        rank_promoted_to,
        cast(promotions as bigint) as promotions,
        cast(coalesce(stated_promotions, 0) as bigint) as stated_promotions,
        cast(coalesce(ethnic_minority_promotions, 0) as bigint) as ethnic_minority_promotions,
        cast(coalesce(black_promotions, 0) as bigint) as black_promotions,
        case when stated_promotions > 0 then coalesce(ethnic_minority_promotions, 0) / stated_promotions end as ethnic_minority_share,
        case when stated_promotions > 0 then coalesce(black_promotions, 0) / stated_promotions end as black_share
    from counted

)

select * from final
order by financial_year, force, rank_promoted_to
