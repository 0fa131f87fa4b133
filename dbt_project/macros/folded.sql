{#
    A label with case and spacing folded away, as the ingest gates compare
    labels (ingest.core.reference.squash): how a published spelling is matched
    to a seed's.
#}
{% macro folded(expression) %}
    lower(trim(regexp_replace({{ expression }}, '\s+', ' ', 'g')))
{% endmacro %}
