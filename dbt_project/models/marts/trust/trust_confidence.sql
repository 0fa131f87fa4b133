with

dashboard as (

    select * from {{ ref('stg_pas__dashboard_proportions') }}

),

boroughs as (

    select * from {{ ref('london_boroughs') }}

),

borough_aliases as (

    select * from {{ ref('borough_aliases') }}

),

rolling as (

    select * from {{ ref('int_pas__rolling_12_months') }}

),

-- every spelling a source may use (ONS name or a known alias) -> ONS name
borough_spellings as (

    {{ borough_spellings() }}

),

-- every published row; `MPS` is London, MOPAC's borough spellings become
-- ONS names (an unknown spelling gives a null area, which the contract's
-- not_null constraint turns into a failed build)
from_dashboard as (

    select
        dashboard.period_end,
        case
            when dashboard.borough = 'MPS' then 'London'
            else borough_spellings.borough_name
        end as area,
        dashboard.measure,
        dashboard.proportion,
        'dashboard' as "source",
        cast(null as bigint) as respondents,
        cast(null as integer) as quarters_in_window,
        true as is_complete,
        cast(null as varchar) as weighting
    from dashboard
    left join borough_spellings
        on dashboard.borough = borough_spellings.spelling

),

-- all respondents: weighted share of positive answers among valid ones
from_microdata as (

    select
        period_end,
        area,
        measure,
        sum_weight_positive / sum_weight as proportion,
        'microdata' as "source",
        respondents,
        quarters_in_window,
        is_complete,
        {{ pas_weighting('weighted_respondents', 'respondents') }} as weighting
    from rolling
    where respondent_group = 'All'
      and respondents > 0
      and sum_weight > 0

),

unioned as (

    select * from from_dashboard
    union all
    select * from from_microdata

),

final as (

    select
        period_end,
        area,
        measure,
        proportion,
        "source",
        'rolling 12 months' as "window",
        respondents,
        quarters_in_window,
        is_complete,
        weighting
    from unioned

)

select * from final
