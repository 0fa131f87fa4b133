{#-
    Each stop of `relation` twice: once under its self-defined broad group,
    once under the officer-defined one, as `ethnicity_basis` and
    `ethnic_group` (every other column kept). Counts grouped by basis count
    each stop once per basis.
-#}
{% macro by_ethnicity_basis(relation) -%}
    select *, 'self_defined' as ethnicity_basis, self_defined_ethnic_group as ethnic_group
    from {{ relation }}
    union all
    select *, 'officer_defined' as ethnicity_basis, officer_defined_ethnic_group as ethnic_group
    from {{ relation }}
{%- endmacro %}
