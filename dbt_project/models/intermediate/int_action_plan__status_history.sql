-- Every status a paper gives an MPS action, in time order: the paper's date
-- (an undated paper at the latest date its contents allow, flagged), the
-- action's status in the previous paper reporting it, the date of the first
-- paper marking it complete, and the date of an earlier paper that did.
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

final as (

    select
        statuses.action_number,
        statuses.paper_id,
        papers.paper_date,
        papers.is_date_estimated,
        statuses.status,
        lag(statuses.status) over by_action as previous_status,
        min(case when statuses.status = 'complete' then papers.paper_date end)
            over (partition by statuses.action_number) as first_complete_date,
        max(case when statuses.status = 'complete' then papers.paper_date end)
            over (by_action rows between unbounded preceding and 1 preceding) as complete_before
    from statuses
    inner join papers using (paper_id)
    window by_action as (partition by statuses.action_number order by papers.paper_date)

)

select * from final
