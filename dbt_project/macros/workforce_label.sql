{#- The seed workforce_labels, for `join_workforce_label`: one row per dimension and published label
    (lower-cased as `label_key`: releases change case), with the warehouse's label and its sort order. -#}
{% macro workforce_labels() -%}
    select dimension, lower(label) as label_key, mapped_to, sort_order
    from {{ ref('workforce_labels') }}
{%- endmacro %}

{#- Join the seed workforce_labels (imported as CTE `labels`, label lower-cased as `label_key`)
    for one dimension, matching the published label case-insensitively, as `alias`. -#}
{% macro join_workforce_label(alias, dimension, published) -%}
    left join labels as {{ alias }}
        on {{ alias }}.dimension = '{{ dimension }}' and {{ alias }}.label_key = lower(trim({{ published }}))
{%- endmacro %}

{#- The 31 March that ends a financial year given as `YYYY-YY` (e.g. 2023-24 ends on 2024-03-31). -#}
{% macro financial_year_end(financial_year) -%}
    make_date(cast(left({{ financial_year }}, 4) as integer) + 1, 3, 31)
{%- endmacro %}
