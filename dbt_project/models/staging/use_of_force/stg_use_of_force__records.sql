-- One row per published use-of-force record: one officer's force on one
-- subject. The borough is mapped to its ONS name (or `Heathrow` / `Out of
-- force`), the officer-perceived ethnicity to its broad group through the seed
-- use_of_force_labels (blank is `Not stated`), and every record gets the key
-- of its subject: the records of the officers who used force on one subject
-- repeat its incident and subject details, and the file has no identifier, so
-- a subject is the set of records sharing date, time, borough, incident
-- locations, age band, gender, ethnicity and the two disability flags.
with

source as (

    select * from {{ source('use_of_force', 'records') }}

),

boroughs as (

    select * from {{ ref('london_boroughs') }}

),

borough_aliases as (

    select * from {{ ref('borough_aliases') }}

),

labels as (

    select * from {{ ref('use_of_force_labels') }}

),

batches as (

    select batch_id, is_synthetic from {{ ref('stg_audit__loaded_batches') }}

),

borough_spellings as (

    {{ borough_spellings() }}

),

-- case and spacing folded, as the gate compares them (aliases that differ from a name only in case fold to it)
areas as (

    select distinct {{ folded('spelling') }} as folded, borough_name as area from borough_spellings
    union
    select {{ folded('label') }}, mapped_to from labels where dimension = 'borough'

),

ethnicities as (

    select distinct {{ folded('label') }} as folded, mapped_to as ethnic_group from labels where dimension = 'ethnicity'

),

renamed as (

    select
        batch_id || ':' || row_index as record_key,
        incident_date,
        cast(date_trunc('month', incident_date) as date) as incident_month,
        incident_time,
        borough as borough_published,
        incident_locations,
        primary_conduct,
        subject_age,
        subject_gender,
        subject_ethnicity as ethnicity_published,
        physical_disability,
        mental_disability,
        reason_effect_search = 'Yes' as for_search,
        reason_effect_arrest = 'Yes' as for_arrest,
        outcome_arrested = 'Yes' as arrested,
        {% for n in range(1, 21) %}tactic_{{ n }},
        {% endfor %}period,
        batch_id
    from source

),

final as (

    select
        renamed.record_key,
        md5(concat_ws('|', renamed.incident_date, coalesce(renamed.incident_time, ''),
            coalesce(renamed.borough_published, ''), coalesce(renamed.incident_locations, ''),
            coalesce(renamed.subject_age, ''), coalesce(renamed.subject_gender, ''),
            coalesce(renamed.ethnicity_published, ''), coalesce(renamed.physical_disability, ''),
            coalesce(renamed.mental_disability, ''))) as subject_key,
        renamed.incident_date,
        renamed.incident_month,
        areas.area,
        coalesce(ethnicities.ethnic_group, 'Not stated') as ethnic_group,
        renamed.ethnicity_published,
        renamed.subject_age,
        renamed.subject_gender,
        renamed.primary_conduct,
        renamed.for_search,
        renamed.for_arrest,
        renamed.arrested,
        coalesce(batches.is_synthetic, false) as is_synthetic,
        {% for n in range(1, 21) %}renamed.tactic_{{ n }},
        {% endfor %}renamed.period,
        renamed.batch_id
    from renamed
    left join batches
        on renamed.batch_id = batches.batch_id
    left join areas
        on {{ folded('renamed.borough_published') }} = areas.folded
    left join ethnicities
        on {{ folded('renamed.ethnicity_published') }} = ethnicities.folded

)

select * from final
