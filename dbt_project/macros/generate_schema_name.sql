{#-
    Use a model's `+schema` as the schema name, as-is (staging, intermediate, adam, reference),
    instead of dbt's default `<target schema>_<custom schema>`. Models without one go to the
    target schema.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
