with

interviews as (

    select * from {{ ref('stg_pas__interviews') }}

),

boroughs as (

    select * from {{ ref('london_boroughs') }}

),

borough_aliases as (

    select * from {{ ref('borough_aliases') }}

),

ethnicity_codes as (

    select * from {{ ref('pas_ethnicity_codes') }}

),

answer_codes as (

    select * from {{ ref('pas_answer_codes') }}

),

-- how a published value finds its seed row: by its code ('14'), or by its
-- label without case and spacing ('white other'; the public files' own
-- labels are in the *_labels seeds), as staging keys them
ethnicity_keys as (

    select variable, cast(code as varchar) as ethnicity_key, ethnic_group, is_white_british
    from ethnicity_codes
    where code is not null
    union
    select variable, {{ pas_answer_key('label') }} as ethnicity_key, ethnic_group, is_white_british
    from ethnicity_codes
    union
    select variable, {{ pas_answer_key('label') }} as ethnicity_key, ethnic_group, is_white_british
    from {{ ref('pas_ethnicity_labels') }}

),

answer_keys as (

    select variable, cast(code as varchar) as answer_key, answer_class
    from answer_codes
    where code is not null
    union
    select variable, {{ pas_answer_key('label') }} as answer_key, answer_class
    from answer_codes
    union
    select variable, {{ pas_answer_key('label') }} as answer_key, answer_class
    from {{ ref('pas_answer_labels') }}

),

measures as (

    select * from {{ ref('pas_measures') }}
    where microdata_variable is not null

),

-- every spelling a source may use (ONS name or a known alias) -> ONS name
borough_spellings as (

    {{ borough_spellings() }}

),

-- who and where, once per interview. Ethnicity is joined on variable AND
-- code (code 14 is Black African in nq147r, Any other Asian background in
-- rennq147). No ethnicity recorded = `Not stated`; a code missing from the
-- seed stays null so the not_null test stops the build.
respondents as (

    select
        interviews.interview_id,
        interviews.interview_month,
        interviews.quarter_end,
        interviews.financial_year,
        interviews.borough as borough_published,
        borough_spellings.borough_code,
        borough_spellings.borough_name as borough,
        interviews.ethnicity_variable,
        interviews.ethnicity_published,
        case
            when interviews.ethnicity_key is null then 'Not stated'
            else ethnicity_keys.ethnic_group
        end as ethnic_group,
        case
            when interviews.ethnicity_key is null then false
            else ethnicity_keys.is_white_british
        end as is_white_british,
        interviews.weight,
        interviews.is_weighted,
        interviews.nq135bd,
        interviews.q60,
        interviews.q61,
        interviews.q62a,
        interviews.q62c,
        interviews.q62tg
    from interviews
    left join borough_spellings
        on interviews.borough = borough_spellings.spelling
    left join ethnicity_keys
        on interviews.ethnicity_variable = ethnicity_keys.variable
        and interviews.ethnicity_key = ethnicity_keys.ethnicity_key

),

-- one row per interview and question with an answer (code or label); none
-- (the question was not in that year's file, or the cell is blank) gives no row
answers as (

    select *
    from respondents
    unpivot (
        answer_key for answer_variable in (nq135bd, q60, q61, q62a, q62c, q62tg)
    )

),

-- valid = any answer but don't know / refused / none; positive = strongly
-- or tend to agree, excellent or good. A code or label missing from the seed
-- has a null class, which the not_null test turns into a failed build (the
-- ingest gate refuses such a batch first).
classified as (

    select
        answers.interview_id,
        answers.interview_month,
        answers.quarter_end,
        answers.financial_year,
        answers.borough_published,
        answers.borough_code,
        answers.borough,
        answers.ethnicity_variable,
        answers.ethnicity_published,
        answers.ethnic_group,
        answers.is_white_british,
        measures.measure,
        answers.answer_variable,
        answers.answer_key,
        answer_keys.answer_class,
        coalesce(answer_keys.answer_class in ('positive', 'negative'), false) as is_valid,
        coalesce(answer_keys.answer_class = 'positive', false) as is_positive,
        answers.weight,
        answers.is_weighted
    from answers
    inner join measures
        on answers.answer_variable = measures.microdata_variable
    left join answer_keys
        on answers.answer_variable = answer_keys.variable
        and answers.answer_key = answer_keys.answer_key

),

final as (

    select * from classified

)

select * from final
