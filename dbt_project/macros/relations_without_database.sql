{#- The build writes a new DuckDB file and then renames it into place, and a
    reader may ATTACH it under any alias. DuckDB stores a view's query text
    as written, so a view over "<build file name>".raw.x breaks once the file
    is renamed. Rendering ref() and source() without the database part keeps
    every view bound to its own file, whatever that file is called. -#}
{% macro ref() -%}
    {%- set relation = builtins.ref(*varargs, **kwargs) -%}
    {{- return(relation.include(database=false)) -}}
{%- endmacro %}

{% macro source(source_name, table_name) -%}
    {%- set relation = builtins.source(source_name, table_name) -%}
    {{- return(relation.include(database=false)) -}}
{%- endmacro %}
