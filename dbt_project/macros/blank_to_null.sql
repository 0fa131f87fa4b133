{#- Raw text as published: blank or whitespace-only means "not recorded". -#}
{% macro blank_to_null(column_name) -%}
    nullif(trim({{ column_name }}), '')
{%- endmacro %}
