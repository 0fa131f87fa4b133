-- The papers checked against themselves and each other. Rules run over the
-- seeds (found_by = 'rule'); what only reading can find is transcribed with
-- both quotes in seed map_contradictions (found_by = 'reading'):
--   headline_vs_statuses       a headline's count against the statuses the paper gives
--   headline_vs_action_text    an action the headline counts complete whose own text says otherwise (or the reverse)
--   status_went_back           an action marked not complete after an earlier paper marked it complete
--   claim_vs_earlier_paper     "complete as previous update(s)" where the previous paper did not say complete
--   dates_disagree             two papers (or one) dating the same past event to periods that do not overlap
--   date_after_paper           a past event dated after the paper reporting it
--   deadline_slipped_rating_*  an expected date (a completion, a launch) moved later while the rating improved or held
with

papers as (

    -- an undated paper is placed at the latest date its contents allow (seed map_papers)
    select * exclude (paper_date), dated_no_later_than as paper_date, paper_date is null as is_date_estimated
    from {{ ref('map_papers') }}

),

history as (

    select * from {{ ref('int_action_plan__status_history') }}

),

dates as (

    select dates.*, papers.paper_date, papers.is_date_estimated
    from {{ ref('map_action_dates') }} as dates
    inner join papers using (paper_id)

),

status_rank as (

    -- better first; a rating "improves" when its rank falls. on_track and in_progress are one
    -- rank: the headlines count them together ("on track or in progress")
    select * from (values ('complete', 1), ('on_track', 2), ('in_progress', 2), ('amber', 3), ('red', 4), ('pending', 5)) as t(status, status_rank)

),

stated as (

    unpivot (
        select paper_id, paper_date, is_date_estimated, headline_quote, stated_complete as complete, stated_on_track as on_track,
               stated_amber as amber, stated_red as red, stated_pending as pending, stated_total as total
        from papers
    )
    on complete, on_track, amber, red, pending, total
    into name status value stated

),

counted as (

    -- the 23 numbered actions, as the headlines count them (23a is part of 23); a headline's
    -- "in progress and on track" / "on track or in progress" counts on_track and in_progress alike
    select paper_id, replace(status, 'in_progress', 'on_track') as status, count(*) as counted,
           string_agg(action_id, ', ' order by action_number) as action_list
    from history
    where action_id = cast(action_number as varchar)
    group by all

    union all

    select paper_id, 'total', count(*), null
    from history
    where action_id = cast(action_number as varchar)
    group by all

),

headline_vs_statuses as (

    select
        stated.paper_id,
        stated.paper_date,
        stated.is_date_estimated,
        'headline_vs_statuses' as finding_type,
        'rule' as found_by,
        stated.status,
        cast(null as varchar) as action_id,
        cast(stated.stated as bigint) as stated,
        coalesce(counted.counted, 0) as counted,
        stated.headline_quote as quote,
        cast(null as varchar) as other_paper_id,
        cast(null as varchar) as other_quote,
        case
            when coalesce(counted.counted, 0) = stated.stated then null
            when stated.status = 'total' then 'the paper states ' || stated.stated || ' actions; it gives a status for ' || coalesce(counted.counted, 0)
            else 'the paper states ' || stated.stated || ' ' || replace(stated.status, '_', ' ') || '; the statuses it gives make '
                 || coalesce(counted.counted, 0) || coalesce(' (actions ' || counted.action_list || ')', '')
        end as detail
    from stated
    left join counted
        on counted.paper_id = stated.paper_id
        and counted.status = stated.status
    where stated.stated is not null

),

headline_vs_action_text as (

    select
        history.paper_id, history.paper_date, history.is_date_estimated,
        'headline_vs_action_text', 'rule', history.status, history.action_id,
        null, null,
        history.evidence,
        history.paper_id,
        papers.headline_quote,
        'the headline counts action ' || history.action_id
            || case when history.headline_says_complete then ' delivered' else ' outstanding' end
            || '; its own text makes it ' || replace(history.status, '_', ' ')
    from history
    inner join papers using (paper_id)
    where history.headline_says_complete is not null
      and history.headline_says_complete <> (history.status = 'complete')

),

went_back as (

    select
        paper_id, paper_date, is_date_estimated,
        'status_went_back', 'rule', status, action_id,
        null, null,
        evidence,
        complete_before_paper_id,
        complete_before_evidence,
        'action ' || action_id || ' is ' || replace(status, '_', ' ') || ' here but was complete in the paper of ' || complete_before
    from history
    where complete_before is not null and status <> 'complete'

),

claim_vs_earlier as (

    select
        later.paper_id, later.paper_date, later.is_date_estimated,
        'claim_vs_earlier_paper', 'rule', later.status, later.action_id,
        null, null,
        later.evidence,
        later.previous_paper_id,
        earlier.evidence,
        'action ' || later.action_id || ' is called complete "as previous" update here, but the previous paper made it '
            || replace(later.previous_status, '_', ' ')
    from history as later
    inner join history as earlier
        on earlier.action_id = later.action_id
        and earlier.paper_id = later.previous_paper_id
    where later.status = 'complete'
      and later.previous_status <> 'complete'
      and regexp_matches(later.evidence, '(?i)as (per )?(the )?previous (update|submission)')

),

past_events as (

    select *, row_number() over (partition by action_id, event order by paper_date, paper_id, date_from) as event_row
    from dates
    where not is_expected

),

dates_disagree as (

    select
        later.paper_id, later.paper_date, later.is_date_estimated,
        'dates_disagree', 'rule', cast(null as varchar), later.action_id,
        null, null,
        later.quote,
        earlier.paper_id,
        earlier.quote,
        'action ' || later.action_id || ': ' || replace(later.event, '_', ' ') || ' dated ' || later.date_text || ' here and '
            || earlier.date_text || ' in ' || earlier.paper_id
    from past_events as later
    inner join past_events as earlier
        on earlier.action_id = later.action_id
        and earlier.event = later.event
        and earlier.event_row < later.event_row
    where later.date_to < earlier.date_from or earlier.date_to < later.date_from
    -- one finding per dated statement: against the latest earlier statement it contradicts
    qualify row_number() over (partition by later.action_id, later.event, later.event_row order by earlier.event_row desc) = 1

),

date_after_paper as (

    select
        paper_id, paper_date, is_date_estimated,
        'date_after_paper', 'rule', cast(null as varchar), action_id,
        null, null,
        quote,
        cast(null as varchar),
        cast(null as varchar),
        'action ' || action_id || ': ' || replace(event, '_', ' ') || ' reported as done on ' || date_text
            || ', after the paper''s ' || case when is_date_estimated then 'latest possible ' else '' end || 'date ' || paper_date
    from past_events
    where date_from > paper_date

),

expected_completions as (

    -- each paper's latest expected date for each event of an action (a completion, a launch)
    select
        paper_id, action_id, event, paper_date, is_date_estimated,
        max(date_to) as date_to,
        arg_max(date_text, date_to) as date_text,
        arg_max(quote, date_to) as quote
    from dates
    where is_expected
    group by all

),

rated as (

    -- with the action's status in force at that paper: its own, or the latest earlier paper's
    -- (MOPAC's Q1 update gives dates but no statuses)
    select expected_completions.*, history.status, status_rank.status_rank
    from expected_completions
    asof inner join history
        on history.action_id = expected_completions.action_id
        and expected_completions.paper_date >= history.paper_date
    inner join status_rank on status_rank.status = history.status

),

deadlines as (

    select
        rated.*,
        lag(paper_id) over by_action as earlier_paper_id,
        lag(date_text) over by_action as earlier_date_text,
        lag(date_to) over by_action as earlier_date_to,
        lag(quote) over by_action as earlier_quote,
        lag(status) over by_action as earlier_status,
        lag(status_rank) over by_action as earlier_status_rank
    from rated
    window by_action as (partition by action_id, event order by paper_date, paper_id)

),

deadline_slipped as (

    select
        paper_id, paper_date, is_date_estimated,
        case when status_rank < earlier_status_rank then 'deadline_slipped_rating_improved'
             else 'deadline_slipped_rating_held' end,
        'rule', status, action_id,
        null, null,
        quote,
        earlier_paper_id,
        earlier_quote,
        'action ' || action_id || ': ' || replace(event, '_', ' ') || ' expected ' || date_text || ' here, ' || earlier_date_text || ' in ' || earlier_paper_id
            || ', while its status went from ' || replace(earlier_status, '_', ' ') || ' to ' || replace(status, '_', ' ')
    from deadlines
    where earlier_date_to is not null
      and date_to > earlier_date_to
      and status_rank <= earlier_status_rank

),

read_in_papers as (

    select
        contradictions.paper_id_a, papers.paper_date, papers.is_date_estimated,
        contradictions.kind, 'reading', cast(null as varchar), contradictions.action_id,
        null, null,
        contradictions.quote_a,
        contradictions.paper_id_b,
        contradictions.quote_b,
        contradictions.explanation
    from {{ ref('map_contradictions') }} as contradictions
    inner join papers on papers.paper_id = contradictions.paper_id_a

),

findings as (

    select * from headline_vs_statuses
    union all select * from headline_vs_action_text
    union all select * from went_back
    union all select * from claim_vs_earlier
    union all select * from dates_disagree
    union all select * from date_after_paper
    union all select * from deadline_slipped
    union all select * from read_in_papers

)

select
    findings.paper_id,
    cast(findings.paper_date as date) as paper_date,
    findings.is_date_estimated,
    findings.finding_type,
    findings.found_by,
    findings.status,
    findings.action_id,
    cast(actions.action_number as integer) as action_number,
    cast(findings.stated as bigint) as stated,
    cast(findings.counted as bigint) as counted,
    cast(findings.counted - findings.stated as bigint) as difference,
    findings.detail is null as agrees,
    findings.quote,
    findings.other_paper_id,
    findings.other_quote,
    findings.detail
from findings
left join {{ ref('map_actions') }} as actions using (action_id)
order by findings.paper_date, findings.finding_type, findings.status, actions.action_number, findings.action_id
