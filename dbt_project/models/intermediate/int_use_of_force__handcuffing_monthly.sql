-- Handcuffing of Black and White subjects of force in London, by month: the
-- series the handcuffing policy of 18 November 2021 is judged on. A subject
-- (stg_use_of_force__records' deduplication) is handcuffed when any of its
-- records reports compliant or non-compliant handcuffing, and arrested when
-- any reports `Outcome: Arrested`. Three denominators: the subjects of any
-- force that month, the arrested ones, and the group's Census 2021
-- residents; and, where the month's stop and search is loaded, the searches
-- of people the officer saw as that group (the use-of-force ethnicity is the
-- officer's perception too).
with

records as (

    select * from {{ ref('stg_use_of_force__records') }}

),

tactics as (

    select * from {{ ref('int_use_of_force__tactics') }}

),

populations as (

    select * from {{ ref('int_population__broad_groups') }}

),

searches as (

    select * from {{ ref('stop_search_monthly') }}

),

handcuffed_records as (

    select distinct record_key from tactics where tactic_group = 'Handcuffing'

),

subjects as (

    select
        records.incident_month as month,
        records.ethnic_group,
        records.subject_key,
        bool_or(handcuffed_records.record_key is not null) as handcuffed,
        bool_or(records.arrested) as arrested
    from records
    left join handcuffed_records
        on records.record_key = handcuffed_records.record_key
    where records.ethnic_group in ('Black', 'White')
    group by all

),

monthly as (

    select
        month,
        ethnic_group,
        count(*) as subjects,
        count(*) filter (where handcuffed) as handcuffed_subjects,
        count(*) filter (where arrested) as arrested_subjects,
        count(*) filter (where handcuffed and arrested) as handcuffed_arrested_subjects
    from subjects
    group by all

),

-- every month with any record, both groups: a month without a Black subject is a zero, not a gap
spine as (

    select records.incident_month as month, groups.ethnic_group, bool_or(records.is_synthetic) as is_synthetic
    from records
    cross join (select unnest(['Black', 'White']) as ethnic_group) as groups
    group by all

),

searched as (

    select month, ethnic_group, sum(searches) as searches
    from searches
    where ethnicity_basis = 'officer_defined'
    group by all

),

final as (

    select
        spine.month,
        spine.ethnic_group,
        cast(coalesce(monthly.subjects, 0) as bigint) as subjects,
        cast(coalesce(monthly.handcuffed_subjects, 0) as bigint) as handcuffed_subjects,
        cast(coalesce(monthly.arrested_subjects, 0) as bigint) as arrested_subjects,
        cast(coalesce(monthly.handcuffed_arrested_subjects, 0) as bigint) as handcuffed_arrested_subjects,
        populations.population,
        cast(searched.searches as bigint) as searches,
        spine.is_synthetic
    from spine
    left join monthly
        on spine.month = monthly.month
        and spine.ethnic_group = monthly.ethnic_group
    left join populations
        on populations.area = 'London'
        and spine.ethnic_group = populations.ethnic_group
    left join searched
        on spine.month = searched.month
        and spine.ethnic_group = searched.ethnic_group

)

select * from final
