with

indicators as (

    select * from {{ ref('stg_pas__neighbourhood_indicators') }}

),

boroughs as (

    select * from {{ ref('london_boroughs') }}

),

borough_aliases as (

    select * from {{ ref('borough_aliases') }}

),

measures as (

    select * from {{ ref('pas_measures') }}
    where neighbourhood_question is not null

),

-- every spelling a source may use (ONS name or a known alias) -> ONS name
borough_spellings as (

    {{ borough_spellings() }}

),

-- one row per neighbourhood and question, the three groups side by side;
-- a suppressed (blank) cell stays null, never zero
pivoted as (

    select
        "period",
        borough as borough_published,
        neighbourhood,
        question,
        measure_definition,
        max(percentage) filter (where ethnic_group = 'White British') as white_british_pct,
        max(percentage) filter (where ethnic_group = 'Asian') as asian_pct,
        max(percentage) filter (where ethnic_group = 'Black') as black_pct
    from indicators
    group by all

),

-- unknown borough spellings and questions give nulls, which the contract's
-- not_null constraints turn into a failed build
named as (

    select
        pivoted."period",
        borough_spellings.borough_name as borough,
        pivoted.neighbourhood,
        measures.measure,
        pivoted.measure_definition,
        pivoted.white_british_pct,
        pivoted.asian_pct,
        pivoted.black_pct
    from pivoted
    left join borough_spellings
        on pivoted.borough_published = borough_spellings.spelling
    left join measures
        on pivoted.question = measures.neighbourhood_question

),

final as (

    select
        "period",
        borough,
        neighbourhood,
        measure,
        measure_definition,
        cast(white_british_pct as integer) as white_british_pct,
        cast(asian_pct as integer) as asian_pct,
        cast(black_pct as integer) as black_pct,
        cast(white_british_pct - black_pct as integer) as gap_white_british_black_pp
    from named

)

select * from final
