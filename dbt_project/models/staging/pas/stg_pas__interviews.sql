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
        -- to 2019-20 column is '<Borough> - <Neighbourhood>' (the borough is
        -- before the first '-': no borough name has one)
        coalesce(
            {{ blank_to_null('c2') }},
            {{ blank_to_null('borough') }},
            {{ blank_to_null("trim(split_part(boroughneighbourhoodcoded, '-', 1))") }}
        ) as borough,

        -- who: the value's meaning depends on the variable it is in (each
        -- release has one of the three); the newest frame wins if several
        -- are filled. A code or a text label, as published; the key is how
        -- the seed pas_ethnicity_codes is matched
        case
            when {{ blank_to_null('rennq147') }} is not null then 'rennq147'
            when {{ blank_to_null('renq147') }} is not null then 'renq147'
            when {{ blank_to_null('nq147r') }} is not null then 'nq147r'
        end as ethnicity_variable,
        coalesce({{ blank_to_null('rennq147') }}, {{ blank_to_null('renq147') }}, {{ blank_to_null('nq147r') }})
            as ethnicity_published,

        -- answers as seed keys (pas_answer_codes): a code ('1') or a label
        -- without case and spacing ('strongly agree')
        {{ pas_answer_key('nq135bd') }} as nq135bd,
        {{ pas_answer_key('q60') }} as q60,
        {{ pas_answer_key('q61') }} as q61,
        {{ pas_answer_key('q62a') }} as q62a,
        {{ pas_answer_key('q62c') }} as q62c,
        {{ pas_answer_key('q62tg') }} as q62tg,

        -- weight: WT_Discrete where the release has it (coded exports from
        -- 2018-19); the public ward-level files have no general weight, so
        -- their interviews count 1 each
        wt_discrete,
        wt_discrete is not null as is_weighted,
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
        ethnicity_published,
        {{ pas_answer_key('ethnicity_published') }} as ethnicity_key,
        nq135bd,
        q60,
        q61,
        q62a,
        q62c,
        q62tg,
        wt_discrete,
        is_weighted,
        weight,
        loaded_at
    from dated

)

select * from final
