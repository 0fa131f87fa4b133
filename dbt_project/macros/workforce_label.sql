{#- Join the seed workforce_labels (imported as CTE `labels`, label lower-cased as `label_key`)
    for one dimension, matching the published label case-insensitively, as `alias`. -#}
{% macro join_workforce_label(alias, dimension, published) -%}
    left join labels as {{ alias }}
        on {{ alias }}.dimension = '{{ dimension }}' and {{ alias }}.label_key = lower(trim({{ published }}))
{%- endmacro %}
