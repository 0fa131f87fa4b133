with

source as (

    select * from {{ source('census', 'population') }}

),

final as (

    select
        trim(area_code) as area_code,
        trim(area_name) as area_name,
        ethnic_group_code,
        ethnic_group_label,
        observation,
        geography,
        period,
        batch_id
    from source

)

select * from final
