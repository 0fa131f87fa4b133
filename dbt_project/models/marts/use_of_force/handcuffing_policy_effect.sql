with

its as (

    select * from {{ ref('int_use_of_force__handcuffing_its') }}

),

final as (

    select
        cast(month as date) as month,
        cast(ethnic_group as varchar) as ethnic_group,
        cast(measure as varchar) as measure,
        cast(phase as varchar) as phase,
        cast(numerator as bigint) as numerator,
        cast(denominator as bigint) as denominator,
        round(cast(value as double), 6) as value,
        round(cast(fitted as double), 6) as fitted,
        round(cast(counterfactual as double), 6) as counterfactual,
        round(cast(level_change as double), 6) as level_change,
        round(cast(level_change_ci_low as double), 6) as level_change_ci_low,
        round(cast(level_change_ci_high as double), 6) as level_change_ci_high,
        round(cast(slope_change as double), 6) as slope_change,
        round(cast(slope_change_ci_low as double), 6) as slope_change_ci_low,
        round(cast(slope_change_ci_high as double), 6) as slope_change_ci_high,
        cast(months_before as integer) as months_before,
        cast(months_after as integer) as months_after,
        cast(is_synthetic as boolean) as is_synthetic,
        'Before and after is not cause and effect: the line fitted before 18 November 2021 is assumed to have '
        || 'carried on, so anything else that changed from late 2021 (the end of pandemic restrictions, '
        || 'stop and search volumes, recording practice) is in the estimate too. Months are not independent and '
        || 'seasons are not modelled, so the intervals are likely too narrow. Subjects are use-of-force records '
        || 'deduplicated by their shared details (marts.use_of_force_monthly); ethnicity is the officer''s perception.'
            as caveat
    from its

)

select * from final
