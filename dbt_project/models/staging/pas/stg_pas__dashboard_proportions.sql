with

source as (

    select * from {{ source('pas', 'dashboard') }}

),

renamed as (

    select
        -- ids
        batch_id,
        row_index,
        "period" as sheet,
        source_format,

        -- when: the quarter end the rolling 12 months end at
        date_text,
        quarter_end as period_end,

        -- what: names as MOPAC publishes them; `MPS` is the whole Met area,
        -- borough spellings are mapped to ONS names downstream
        {{ blank_to_null('survey') }} as survey,
        {{ blank_to_null('borough') }} as borough,
        {{ blank_to_null('measure') }} as measure,
        proportion,
        mps_proportion,

        loaded_at

    from source

),

final as (

    select * from renamed

)

select * from final
