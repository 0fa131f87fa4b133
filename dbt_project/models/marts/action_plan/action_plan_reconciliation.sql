-- The papers checked against themselves: per paper and status, the count its
-- headline states against the count of its own table's rows
-- (`headline_vs_table`), and each action a later paper marks as not complete
-- after an earlier one marked it complete (`status_went_back`).
with

papers as (

    -- an undated paper is placed at the latest date its contents allow (seed map_papers)
    select * exclude (paper_date), dated_no_later_than as paper_date, paper_date is null as is_date_estimated
    from {{ ref('map_papers') }}

),

statuses as (

    select * from {{ ref('map_action_statuses') }}

),

stated as (

    unpivot (
        select paper_id, paper_date, is_date_estimated, stated_complete as complete, stated_on_track as on_track, stated_amber as amber,
               stated_red as red, stated_pending as pending, stated_total as total
        from papers
    )
    on complete, on_track, amber, red, pending, total
    into name status value stated

),

counted as (

    select paper_id, status, count(*) as counted, string_agg(cast(action_number as varchar), ', ' order by action_number) as action_list
    from statuses
    group by all

    union all

    select paper_id, 'total', count(*), null
    from statuses
    group by all

),

headline as (

    select
        stated.paper_id,
        stated.paper_date,
        stated.is_date_estimated,
        'headline_vs_table' as finding_type,
        stated.status,
        cast(null as integer) as action_number,
        cast(stated.stated as bigint) as stated,
        coalesce(counted.counted, 0) as counted,
        coalesce(counted.counted, 0) - stated.stated as difference,
        coalesce(counted.counted, 0) = stated.stated as agrees,
        case
            when coalesce(counted.counted, 0) = stated.stated then null
            when stated.status = 'total' then 'the paper states ' || stated.stated || ' actions; its table gives a status for ' || coalesce(counted.counted, 0)
            else 'the paper states ' || stated.stated || ' ' || replace(stated.status, '_', ' ') || '; its table marks '
                 || coalesce(counted.counted, 0) || coalesce(' (actions ' || counted.action_list || ')', '')
        end as detail
    from stated
    left join counted
        on counted.paper_id = stated.paper_id
        and counted.status = stated.status
    where stated.stated is not null

),

history as (

    select * from {{ ref('int_action_plan__status_history') }}

),

went_back as (

    select
        paper_id,
        paper_date,
        is_date_estimated,
        'status_went_back' as finding_type,
        status,
        action_number,
        cast(null as bigint) as stated,
        cast(null as bigint) as counted,
        cast(null as bigint) as difference,
        false as agrees,
        'action ' || action_number || ' is ' || replace(status, '_', ' ') || ' here but was complete in the paper of ' || complete_before as detail
    from history
    where complete_before is not null and status <> 'complete'

)

select paper_id, cast(paper_date as date) as paper_date, is_date_estimated, finding_type, status, cast(action_number as integer) as action_number,
       stated, counted, difference, agrees, detail
from (select * from headline union all select * from went_back)
order by paper_date, finding_type, status, action_number
