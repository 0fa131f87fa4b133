-- Every status a paper gives an MPS action, in time order: the paper's date
-- (an undated paper at the latest date its contents allow, flagged), the
-- status's basis and quote, the action's status in the previous paper
-- reporting it, the date of the first paper marking it complete, and the
-- date and quote of the latest earlier paper that did.
with

papers as (

    select
        paper_id,
        dated_no_later_than as paper_date,
        paper_date is null as is_date_estimated
    from {{ ref('map_papers') }}

),

statuses as (

    select * from {{ ref('map_action_statuses') }}

),

actions as (

    select action_id, action_number from {{ ref('map_actions') }}

),

ordered as (

    select
        statuses.action_id,
        actions.action_number,
        statuses.paper_id,
        papers.paper_date,
        papers.is_date_estimated,
        statuses.status,
        statuses.status_basis,
        statuses.status_as_published,
        statuses.evidence,
        statuses.headline_says_complete,
        lag(statuses.status) over by_action as previous_status,
        lag(statuses.paper_id) over by_action as previous_paper_id,
        min(case when statuses.status = 'complete' then papers.paper_date end)
            over (partition by statuses.action_id) as first_complete_date,
        max(case when statuses.status = 'complete' then papers.paper_date end)
            over (by_action rows between unbounded preceding and 1 preceding) as complete_before
    from statuses
    inner join papers using (paper_id)
    inner join actions using (action_id)
    window by_action as (partition by statuses.action_id order by papers.paper_date)

),

final as (

    select
        ordered.*,
        complete_paper.paper_id as complete_before_paper_id,
        complete_paper.evidence as complete_before_evidence
    from ordered
    left join ordered as complete_paper
        on complete_paper.action_id = ordered.action_id
        and complete_paper.paper_date = ordered.complete_before
        and complete_paper.status = 'complete'

)

select * from final
