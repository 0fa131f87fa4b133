-- incremental by police.uk period (decision 0025): an incremental build recomputes only the refreshed periods,
-- deleting them first (the source declares this model in ingest/police_uk.py `incremental_models`)
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail',
          pre_hook="{{ delete_refreshed_periods('police_uk_stop_searches') }}") }}
-- depends_on: {{ ref('stg_audit__refresh_periods') }}

with

stop_searches as (

    select * from {{ ref('int_stop_searches__harmonised') }}
    where "force" = '{{ var("london_force") }}'
      and {{ refreshed_periods('police_uk_stop_searches') }}

),

boundaries as (

    select
        borough_code,
        borough_name,
        ST_GeomFromGeoJSON(geometry_geojson) as geometry
    from {{ ref('int_london_boundaries__named') }}
    where borough_code is not null

),

points as (

    select
        stop_id,
        ST_Point(longitude, latitude) as point  -- x = longitude, y = latitude
    from stop_searches
    where longitude is not null
      and latitude is not null

),

-- a point on a shared border, or under overlapping polygons, could match
-- twice: keep one borough per stop (lowest code) so a stop is counted once
points_in_boroughs as (

    select
        points.stop_id,
        boundaries.borough_code,
        boundaries.borough_name
    from points
    inner join boundaries
        on ST_Intersects(boundaries.geometry, points.point)
    qualify row_number() over (
        partition by points.stop_id order by boundaries.borough_code
    ) = 1

),

final as (

    select
        stop_searches.*,
        points_in_boroughs.borough_code,
        coalesce(points_in_boroughs.borough_name, 'Unknown') as borough
    from stop_searches
    left join points_in_boroughs
        on stop_searches.stop_id = points_in_boroughs.stop_id

)

select * from final
