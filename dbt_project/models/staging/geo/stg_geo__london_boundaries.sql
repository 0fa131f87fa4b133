with

source as (

    select * from {{ source('geo', 'london_boundaries') }}

),

final as (

    select
        feature_index,
        trim(name) as name,
        geometry_geojson,
        period,
        batch_id
    from source

)

select * from final
