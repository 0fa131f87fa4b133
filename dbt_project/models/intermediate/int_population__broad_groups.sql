with

populations as (

    select * from {{ ref('stg_census__ethnic_group_populations') }}

),

ethnic_group_codes as (

    select * from {{ ref('census_ethnic_group_codes') }}

),

boroughs as (

    select * from {{ ref('london_boroughs') }}

),

-- by code only (published labels are unreliable); -8 has no broad group
borough_populations as (

    select
        boroughs.borough_name as area,
        ethnic_group_codes.ethnic_group,
        sum(populations.observation) as population
    from populations
    inner join boroughs
        on populations.area_code = boroughs.borough_code
    inner join ethnic_group_codes
        on populations.ethnic_group_code = ethnic_group_codes.ethnic_group_code
    where ethnic_group_codes.ethnic_group is not null
    group by 1, 2

),

london_population as (

    select
        'London' as area,
        ethnic_group,
        sum(population) as population
    from borough_populations
    group by 1, 2

),

final as (

    select area, ethnic_group, cast(population as bigint) as population
    from borough_populations
    union all
    select area, ethnic_group, cast(population as bigint) as population
    from london_population

)

select * from final
