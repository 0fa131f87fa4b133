with

source as (

    select * from {{ source('audit', 'loaded_batches') }}

),

final as (

    select
        "source",
        table_name,
        period,
        cast(try_strptime(period, '%Y-%m') as date) as period_month,
        batch_id,
        sha256,
        url,
        "rows" as row_count,
        status,
        fetched_at,
        loaded_at,
        coalesce(synthetic, false) as is_synthetic
    from source

)

select * from final
