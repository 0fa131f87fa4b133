with

windows as (

    select * from {{ ref('int_rolling_12_month_windows') }}

),

window_counts as (

    select * from {{ ref('int_stop_searches__rolling_12_months') }}

),

populations as (

    select * from {{ ref('int_population__broad_groups') }}

),

boroughs as (

    select * from {{ ref('london_boroughs') }}

),

ethnicity_labels as (

    select * from {{ ref('ethnicity_labels') }}

),

-- published areas: every borough and London; the `Unknown` borough is not
-- an area but its stops are in London's counts
areas as (

    select borough_name as area from boroughs
    union all
    select 'London' as area

),

ethnicity_bases as (

    select unnest(['self_defined', 'officer_defined']) as ethnicity_basis

),

ethnic_groups as (

    select distinct ethnic_group from ethnicity_labels

),

-- every group in every area, basis and window, so zeros are rows too
grid as (

    select
        windows.period_end,
        windows.window_start,
        windows.months_in_window,
        windows.is_complete,
        areas.area,
        ethnicity_bases.ethnicity_basis,
        ethnic_groups.ethnic_group
    from windows
    cross join areas
    cross join ethnicity_bases
    cross join ethnic_groups

),

counted as (

    select
        grid.*,
        coalesce(window_counts.searches, 0) as searches,
        coalesce(window_counts.arrests, 0) as arrests,
        populations.population
    from grid
    left join window_counts
        on grid.period_end = window_counts.period_end
        and grid.area = window_counts.area
        and grid.ethnicity_basis = window_counts.ethnicity_basis
        and grid.ethnic_group = window_counts.ethnic_group
    left join populations
        on grid.area = populations.area
        and grid.ethnic_group = populations.ethnic_group
        and grid.ethnic_group <> 'Not stated'

),

rated as (

    select
        *,
        case
            when population > 0 then searches * 1000.0 / population
        end as rate_exact
    from counted

),

with_white as (

    select
        *,
        max(case when ethnic_group = 'White' then searches end) over cell as white_searches,
        max(case when ethnic_group = 'White' then population end) over cell as white_population,
        max(case when ethnic_group = 'White' then rate_exact end) over cell as white_rate_exact
    from rated
    window cell as (partition by period_end, area, ethnicity_basis)

),

flagged as (

    select
        *,
        case
            when ethnic_group = 'Not stated' then false
            else searches < 10
                or coalesce(white_searches, 0) < 10
                or coalesce(population, 0) < 100
                or coalesce(white_population, 0) < 100
        end as suppressed
    from with_white

),

-- 95% interval on the log rate ratio, populations taken as fixed:
-- exp(ln(ratio) +/- 1.96 * sqrt(1/searches + 1/white_searches)).
-- Unsuppressed rows have at least 10 searches in both groups.
compared as (

    select
        *,
        case
            when not suppressed and ethnic_group <> 'Not stated'
                then rate_exact / white_rate_exact
        end as ratio_exact,
        case
            when not suppressed and ethnic_group <> 'Not stated' and ethnic_group <> 'White'
                then 1.96 * sqrt(1.0 / searches + 1.0 / white_searches)
            when not suppressed and ethnic_group = 'White'
                then 0.0
        end as log_ratio_margin
    from flagged

),

final as (

    select
        period_end,
        window_start,
        months_in_window,
        is_complete,
        area,
        ethnicity_basis,
        ethnic_group,
        searches,
        population,
        round(rate_exact, 4) as rate_per_1000,
        round(ratio_exact, 4) as ratio_vs_white,
        round(exp(ln(ratio_exact) - log_ratio_margin), 4) as ratio_ci_low,
        round(exp(ln(ratio_exact) + log_ratio_margin), 4) as ratio_ci_high,
        arrests,
        case
            when not suppressed and searches > 0 then round(arrests / searches, 4)
        end as arrest_rate,
        suppressed
    from compared

)

select * from final
