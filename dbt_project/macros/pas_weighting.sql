{#- Which weight a PAS figure used, from how many of its valid answers carry WT_Discrete:
    `WT_Discrete` (all), `unweighted` (none: the public files have no general weight),
    `partly weighted` (a window spanning releases with and without). -#}
{% macro pas_weighting(weighted, total) -%}
    case
        when {{ total }} = 0 then null
        when {{ weighted }} = {{ total }} then 'WT_Discrete'
        when {{ weighted }} = 0 then 'unweighted'
        else 'partly weighted'
    end
{%- endmacro %}
