with

source as (

    select * from {{ source('pas', 'microdata') }}

),

renamed as (

    select
        -- ids
        md5(batch_id || ':' || cast(row_index as varchar)) as interview_id,
        {{ blank_to_null('serial') }} as serial,
        "period" as release_year,
        batch_id,
        row_index,

        -- when: MONTH is text like 'FY 15/16 - Month 01 (Apr 2015)'; the
        -- calendar month is the '(Mon YYYY)' part
        {{ blank_to_null('"month"') }} as month_text,
        cast(try_strptime(
            regexp_extract("month", '\(([A-Za-z]{3} [0-9]{4})\)', 1), '%b %Y'
        ) as date) as interview_month,

        -- where: one column per era, borough as MOPAC writes it; the 2017-18
        -- to 2019-20 column is '<Borough> - <Neighbourhood>' (first ' - ')
        coalesce(
            {{ blank_to_null('borough') }},
            {{ blank_to_null('c2') }},
            {{ blank_to_null("split_part(boroughneighbourhoodcoded, ' - ', 1)") }}
        ) as borough,

        -- who: the code's meaning depends on the variable it is in (each
        -- release has one of the three); the newest frame wins if several
        -- are filled
        case
            when rennq147 is not null then 'rennq147'
            when renq147 is not null then 'renq147'
            when nq147r is not null then 'nq147r'
        end as ethnicity_variable,
        coalesce(rennq147, renq147, nq147r) as ethnicity_code,

        -- answers, codes as released (seed pas_answer_codes)
        nq135bd,
        q60,
        q61,
        q62a,
        q62c,
        q62tg,

        -- weight: WT_Discrete from 2018-19; earlier releases are unweighted
        wt_discrete,
        coalesce(wt_discrete, 1.0) as weight,

        loaded_at

    from source

),

dated as (

    select
        *,
        -- financial year April to March: Jan-Mar 2016 is in 2015-16
        year(interview_month) - case when month(interview_month) < 4 then 1 else 0 end
            as financial_year_start,
        -- calendar quarter (Jan-Mar, Apr-Jun, Jul-Sep, Oct-Dec), by its last day
        cast(date_trunc('quarter', interview_month) + interval 3 month - interval 1 day as date)
            as quarter_end
    from renamed

),

final as (

    select
        interview_id,
        serial,
        release_year,
        batch_id,
        row_index,
        month_text,
        interview_month,
        cast(financial_year_start as varchar) || '-'
            || right(cast(financial_year_start + 1 as varchar), 2) as financial_year,
        quarter_end,
        borough,
        ethnicity_variable,
        ethnicity_code,
        nq135bd,
        q60,
        q61,
        q62a,
        q62c,
        q62tg,
        wt_discrete,
        weight,
        loaded_at
    from dated

)

select * from final
