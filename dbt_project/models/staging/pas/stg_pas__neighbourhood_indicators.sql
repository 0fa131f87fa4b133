with

source as (

    select * from {{ source('pas', 'neighbourhood') }}

),

renamed as (

    select
        -- ids
        batch_id,
        row_index,
        -- the file's coverage: '2015-16_to_2020-21' -> '2015-16 to 2020-21'
        replace("period", '_', ' ') as "period",

        -- where: '<Borough> - <Neighbourhood>', split on the FIRST ' - '
        -- (neighbourhood names may hold hyphens: 'Bromley - South-West')
        trim(neighbourhood) as neighbourhood_label,
        case
            when strpos(neighbourhood, ' - ') > 0
                then trim(left(neighbourhood, strpos(neighbourhood, ' - ') - 1))
        end as borough,
        case
            when strpos(neighbourhood, ' - ') > 0
                then trim(substr(neighbourhood, strpos(neighbourhood, ' - ') + 3))
        end as neighbourhood,

        -- what: header rows 1 to 3; blank cells stay null (suppressed)
        trim(question) as question,
        trim(ethnic_group) as ethnic_group,
        trim(measure_definition) as measure_definition,
        percentage,

        loaded_at

    from source

),

final as (

    select * from renamed

)

select * from final
