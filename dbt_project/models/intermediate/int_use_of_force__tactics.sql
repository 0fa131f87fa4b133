-- One row per record and tactic it reports (`Tactic 1` … `Tactic 20`, blank
-- ones left out), the tactic mapped through the seed use_of_force_labels to
-- the warehouse's tactic and its group (e.g. `CED (Taser) Fired` →
-- `CED (Taser) discharge`, group `CED (Taser)`). Two published tactics that
-- map to one (CS and PAVA spray drawn) are one row.
with

records as (

    select * from {{ ref('stg_use_of_force__records') }}

),

labels as (

    select * from {{ ref('use_of_force_labels') }}
    where dimension = 'tactic'

),

reported as (

    select
        record_key,
        unnest([{% for n in range(1, 21) %}tactic_{{ n }}{{ ", " if not loop.last }}{% endfor %}]) as tactic_published
    from records

),

final as (

    select distinct
        reported.record_key,
        labels.mapped_to as tactic,
        labels.tactic_group
    from reported
    inner join labels
        on {{ folded('reported.tactic_published') }} = {{ folded('labels.label') }}
    where reported.tactic_published is not null

)

select * from final
