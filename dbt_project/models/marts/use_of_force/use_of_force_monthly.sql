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

month_lineage as (

    select incident_month, bool_or(is_synthetic) as is_synthetic from records group by 1

),

-- each record under every tactic it reports, and under `Any use of force`
record_tactics as (

    select records.*, tactics.tactic, tactics.tactic_group
    from records
    inner join tactics
        on records.record_key = tactics.record_key
    union all
    select records.*, 'Any use of force' as tactic, 'Any' as tactic_group
    from records

),

-- in its borough (or Heathrow, Out of force), and in London: every record of the Met
placed as (

    select incident_month, area, tactic, tactic_group, ethnic_group, record_key, subject_key from record_tactics
    union all
    select incident_month, 'London' as area, tactic, tactic_group, ethnic_group, record_key, subject_key from record_tactics

),

counts as (

    select
        incident_month,
        area,
        tactic,
        tactic_group,
        ethnic_group,
        count(distinct record_key) as uses,
        count(distinct subject_key) as subjects
    from placed
    group by all

),

-- every group where the month, area and tactic has any use, so zeros are rows too
cells as (

    select distinct incident_month, area, tactic, tactic_group from counts

),

ethnic_groups as (

    select unnest(['Asian', 'Black', 'Mixed', 'Other', 'White', 'Not stated']) as ethnic_group

),

grid as (

    select cells.*, ethnic_groups.ethnic_group
    from cells
    cross join ethnic_groups

),

counted as (

    select
        grid.*,
        coalesce(counts.uses, 0) as uses,
        coalesce(counts.subjects, 0) as subjects,
        populations.population
    from grid
    left join counts
        on grid.incident_month = counts.incident_month
        and grid.area = counts.area
        and grid.tactic = counts.tactic
        and grid.ethnic_group = counts.ethnic_group
    left join populations
        on grid.area = populations.area
        and grid.ethnic_group = populations.ethnic_group
        and grid.ethnic_group <> 'Not stated'

),

with_white as (

    select
        *,
        case when population > 0 then subjects * 1000.0 / population end as rate_exact,
        max(case when ethnic_group = 'White' then subjects end) over cell as white_subjects,
        max(case when ethnic_group = 'White' then population end) over cell as white_population
    from counted
    window cell as (partition by incident_month, area, tactic)

),

-- as stop_search_disproportionality: a ratio needs 10 subjects in both groups
-- and populations of 100; its 95% interval is on the log rate ratio with the
-- populations taken as fixed: exp(ln(ratio) +/- 1.96 sqrt(1/subjects + 1/white_subjects))
flagged as (

    select
        *,
        case
            when ethnic_group = 'Not stated' then false
            else subjects < 10 or white_subjects < 10
                or coalesce(population, 0) < 100 or coalesce(white_population, 0) < 100
        end as suppressed
    from with_white

),

compared as (

    select
        *,
        case
            when not suppressed and ethnic_group <> 'Not stated'
                then (subjects * 1.0 / population) / (white_subjects * 1.0 / white_population)
        end as ratio_exact,
        case when ethnic_group = 'White' then 0 else 1.96 * sqrt(1.0 / subjects + 1.0 / white_subjects) end as log_ratio_margin
    from flagged

),

final as (

    select
        compared.incident_month as month,
        area,
        tactic,
        tactic_group,
        ethnic_group,
        cast(uses as bigint) as uses,
        cast(subjects as bigint) as subjects,
        population,
        case when population > 0 then round(uses * 1000.0 / population, 4) end as uses_per_1000,
        round(rate_exact, 4) as subjects_per_1000,
        round(ratio_exact, 4) as ratio_vs_white,
        round(exp(ln(ratio_exact) - log_ratio_margin), 4) as ratio_ci_low,
        round(exp(ln(ratio_exact) + log_ratio_margin), 4) as ratio_ci_high,
        suppressed,
        month_lineage.is_synthetic
    from compared
    inner join month_lineage
        on compared.incident_month = month_lineage.incident_month

)

select * from final
