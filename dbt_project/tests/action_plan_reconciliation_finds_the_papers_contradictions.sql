{#- Issue 21's list of what the papers say against themselves, each to be found in
    marts.action_plan_reconciliation with both quotes (the other paper's words too,
    except where a finding is against the paper's own date). A row returned is a
    finding missing, or missing a quote. -#}
with

expected as (

    select * from (values
        ('headline_vs_action_text', '3'),
        ('headline_vs_action_text', '5'),
        ('headline_vs_action_text', '11'),
        ('headline_vs_action_text', '23a'),
        ('headline_vs_statuses', null),
        ('date_after_paper', '9'),
        ('dates_disagree', '9'),
        ('dates_disagree', '10'),
        ('dates_disagree', '11'),
        ('dates_disagree', '13'),
        ('dates_disagree', '19'),
        ('deadline_slipped_rating_improved', '6'),
        ('deadline_slipped_rating_held', '15'),
        ('deadline_slipped_rating_held', '20'),
        ('claim_vs_earlier_paper', '22'),
        ('claim_vs_figures', '7'),
        ('figures_disagree', '8'),
        ('scope_disagrees', '17')
    ) as t(finding_type, action_id)

),

found as (

    select * from {{ ref('action_plan_reconciliation') }}
    where not agrees
      and quote is not null
      -- both quotes, except against the paper's own date or its own count
      and (other_quote is not null or finding_type in ('date_after_paper', 'headline_vs_statuses'))

)

select expected.*
from expected
where not exists (
    select 1 from found
    where found.finding_type = expected.finding_type
      and found.action_id is not distinct from expected.action_id
)
