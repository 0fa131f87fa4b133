with

boundaries as (

    select * from {{ ref('stg_geo__london_boundaries') }}

),

boroughs as (

    select * from {{ ref('london_boroughs') }}

),

borough_aliases as (

    select * from {{ ref('borough_aliases') }}

),

-- every spelling a source may use -> ONS code
borough_spellings as (

    select borough_name as spelling, borough_code from boroughs
    union all
    select alias as spelling, borough_code from borough_aliases

),

named as (

    select
        boundaries.feature_index,
        boundaries.name as boundary_name,
        boroughs.borough_code,
        boroughs.borough_name,
        boundaries.geometry
    from boundaries
    left join borough_spellings
        on boundaries.name = borough_spellings.spelling
    left join boroughs
        on borough_spellings.borough_code = boroughs.borough_code

),

final as (

    select * from named

)

select * from final
