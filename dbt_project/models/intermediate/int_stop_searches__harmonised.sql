with

stop_searches as (

    select * from {{ ref('stg_police_uk__stop_searches') }}

),

ethnicity_labels as (

    select * from {{ ref('ethnicity_labels') }}

),

outcome_labels as (

    select * from {{ ref('outcome_labels') }}

),

-- A missing label is a known answer (nothing stated / no outcome recorded).
-- A label missing from the seed stays null so that the not_null tests stop
-- the build instead of silently counting it somewhere.
mapped as (

    select
        stop_searches.*,
        case
            when stop_searches.self_defined_ethnicity is null then 'Not stated'
            else self_defined.ethnic_group
        end as self_defined_ethnic_group,
        case
            when stop_searches.officer_defined_ethnicity is null then 'Not stated'
            else officer_defined.ethnic_group
        end as officer_defined_ethnic_group,
        case
            when stop_searches.outcome is null then 'Other / unknown'
            else outcomes.outcome_category
        end as outcome_category
    from stop_searches
    left join ethnicity_labels as self_defined
        on stop_searches.self_defined_ethnicity = self_defined.label
    left join ethnicity_labels as officer_defined
        on stop_searches.officer_defined_ethnicity = officer_defined.label
    left join outcome_labels as outcomes
        on stop_searches.outcome = outcomes.label

),

final as (

    select * from mapped

)

select * from final
