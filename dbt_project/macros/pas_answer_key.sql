{#-
    How a published PAS answer is matched to a code-frame seed (pas_answer_codes,
    pas_ethnicity_codes): a whole number as its digits ('1', '1.0' -> '1'), text
    with case, spacing and curly apostrophes folded ('Don’t  Know' -> 'don''t know').
    The ingest gate computes the same key (ingest.core.reference.answer_key).
-#}
{% macro pas_answer_key(expr) -%}
    case
        when regexp_full_match(trim({{ expr }}), '-?[0-9]+(\.0*)?')
            then cast(cast(cast(trim({{ expr }}) as double) as bigint) as varchar)
        else nullif(lower(regexp_replace(replace(trim({{ expr }}), '’', ''''), '\s+', ' ', 'g')), '')
    end
{%- endmacro %}
