with

source as (

    select * from {{ source('audit', 'refresh_periods') }}

),

final as (

    select
        table_name,
        period,
        batch_id,
        change,
        loaded_at
    from source

)

select * from final
