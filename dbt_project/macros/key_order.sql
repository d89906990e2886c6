{#-
    `order by` the mart's key variables (`config.meta.keys` in its yml, missing values first as
    SAS sorts them): the order the submission package publishes the rows in. A mart stored in it
    is written to XPORT and Dataset-JSON in one read as stored, with no second sort of the whole
    mart (orchestration/publishing/submission/datasets.py checks that each batch continues the
    order, and sorts when one does not). Outside a dbt run (sqlfluff's templater) it orders by
    nothing in particular.
-#}
{% macro key_order() -%}
    {%- set keys = ((model.config.get('meta') or {}).get('keys') or []) if model is defined and model.config is defined else [] -%}
    order by {% for key in keys %}"{{ key }}" nulls first{{ ", " if not loop.last }}{% else %}1{% endfor %}
{%- endmacro %}
