-- The action register over time, from the seeds transcribed from the papers:
-- `paper_counts` rows count the 23 numbered MPS actions by the status each
-- paper gives (zeros included; 23a is part of 23 in the headlines' count);
-- `action_status` rows give each action's (23a its own) status in each paper
-- that reports it, with its basis and quote, the status before, whether it
-- changed, and the date of the first paper that marks it complete.
with

history as (

    select * from {{ ref('int_action_plan__status_history') }}

),

actions as (

    select * from {{ ref('map_actions') }}

),

status_order as (

    select * from (values ('complete', 1), ('on_track', 2), ('in_progress', 3), ('amber', 4), ('red', 5), ('pending', 6)) as t(status, status_order)

),

reporting_papers as (

    select distinct paper_id, paper_date, is_date_estimated
    from history

),

paper_counts as (

    select
        'paper_counts' as record_type,
        reporting_papers.paper_id,
        reporting_papers.paper_date,
        reporting_papers.is_date_estimated,
        status_order.status,
        status_order.status_order,
        count(history.action_id) as actions,
        cast(null as varchar) as action_id,
        cast(null as integer) as action_number,
        cast(null as varchar) as short_title,
        cast(null as varchar) as status_basis,
        cast(null as varchar) as evidence,
        cast(null as varchar) as previous_status,
        cast(null as boolean) as is_change,
        cast(null as date) as first_complete_date
    from reporting_papers
    cross join status_order
    left join history
        on history.paper_id = reporting_papers.paper_id
        and history.status = status_order.status
        and history.action_id = cast(history.action_number as varchar)
    group by all

),

action_status as (

    select
        'action_status' as record_type,
        history.paper_id,
        history.paper_date,
        history.is_date_estimated,
        history.status,
        status_order.status_order,
        1 as actions,
        history.action_id,
        history.action_number,
        actions.short_title,
        history.status_basis,
        history.evidence,
        history.previous_status,
        history.previous_status is not null and history.previous_status <> history.status as is_change,
        history.first_complete_date
    from history
    inner join status_order using (status)
    left join actions using (action_id)

),

final as (

    select * from paper_counts
    union all
    select * from action_status

)

select
    record_type,
    paper_id,
    cast(paper_date as date) as paper_date,
    is_date_estimated,
    status,
    cast(status_order as integer) as status_order,
    cast(actions as bigint) as actions,
    action_id,
    cast(action_number as integer) as action_number,
    short_title,
    status_basis,
    evidence,
    previous_status,
    is_change,
    cast(first_complete_date as date) as first_complete_date
from final
order by record_type desc, paper_date, status_order, action_number, action_id
