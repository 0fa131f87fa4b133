{#- The one statement of the warehouse's ethnic-group vocabulary (decision 0038). Every model, test and
    seed property that names the groups takes them from here; the Great Expectations suites, which cannot
    run Jinja, carry them as literals that tests/warehouse/test_rule_homes.py compares with these. -#}

{#- The Census 2021 broad ethnic groups, in the order the marts list them. -#}
{% macro broad_ethnic_groups() -%}
    {{ return(['Asian', 'Black', 'Mixed', 'Other', 'White']) }}
{%- endmacro %}

{#- Ethnic minority: every broad group but White (`Not stated` is in neither). -#}
{% macro ethnic_minority_groups() -%}
    {{ return(broad_ethnic_groups() | reject('equalto', 'White') | list) }}
{%- endmacro %}

{#- The label of a declined, unrecorded or missing ethnicity. -#}
{% macro ethnicity_not_stated() -%}
    {{ return('Not stated') }}
{%- endmacro %}

{#- The groups a harmonised ethnicity column holds: the broad groups and `Not stated`. -#}
{% macro ethnic_groups_with_not_stated() -%}
    {{ return(broad_ethnic_groups() + [ethnicity_not_stated()]) }}
{%- endmacro %}

{#- `values` as SQL string literals, comma-separated: 'Asian', 'Black', ... (for `in (...)` or a list `[...]`). -#}
{% macro sql_strings(values) -%}
    {% for value in values %}'{{ value | replace("'", "''") }}'{{ ", " if not loop.last }}{% endfor %}
{%- endmacro %}

{#- True when `column` holds an ethnic minority group. -#}
{% macro is_ethnic_minority(column) -%}
    {{ column }} in ({{ sql_strings(ethnic_minority_groups()) }})
{%- endmacro %}
