with

source as (

    select * from {{ source('geo', 'london_boundaries') }}

),

final as (

    select
        feature_index,
        trim(name) as name,
        ST_GeomFromGeoJSON(geometry_geojson) as geometry,
        period,
        batch_id
    from source

)

select * from final
