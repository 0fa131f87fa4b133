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

-- every spelling a source may use (ONS name or a known alias) -> ONS name
borough_spellings as (

    {{ borough_spellings() }}

),

named as (

    select
        boundaries.feature_index,
        boundaries.name as boundary_name,
        borough_spellings.borough_code,
        borough_spellings.borough_name,
        boundaries.geometry_geojson,
        -- which batch the feature came from: a failed test here names it, and the build withdraws it
        boundaries.batch_id
    from boundaries
    left join borough_spellings
        on boundaries.name = borough_spellings.spelling

),

final as (

    select * from named

)

select * from final
