{#- One row per combination of the given columns (dbt_utils'
    unique_combination_of_columns, without the package: the build runs
    offline and installs no dbt packages). -#}
{% test unique_combination(model, combination_of_columns) %}

with counted as (

    select
        {{ combination_of_columns | join(', ') }},
        count(*) as n_rows
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}

)

select * from counted
where n_rows > 1

{% endtest %}
