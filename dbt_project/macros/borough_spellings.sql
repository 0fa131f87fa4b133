{#
    Every spelling a source may use for a London borough (its ONS name or a
    known alias from the borough_aliases seed) -> ONS code and name.
    Expects CTEs `boroughs` (seed london_boroughs) and `borough_aliases`
    (seed borough_aliases) in the calling model, so unit tests keep giving
    those seeds as inputs.
#}
{% macro borough_spellings() %}
    select borough_name as spelling, borough_code, borough_name from boroughs
    union all
    select borough_aliases.alias as spelling, boroughs.borough_code, boroughs.borough_name
    from borough_aliases
    inner join boroughs
        on borough_aliases.borough_code = boroughs.borough_code
{% endmacro %}
