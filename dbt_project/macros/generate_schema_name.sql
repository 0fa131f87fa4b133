{#- `+schema: marts` means schema `marts`, not `<target schema>_marts`:
    readers and BI tools open the warehouse file and look for marts.* -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
