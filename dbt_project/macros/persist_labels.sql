{#-
    ADaM variable labels (each column's `meta.label` in the mart's yml) as DuckDB column comments,
    and the dataset label (`meta.label`, else the description up to its first '(', ':' or '.') as
    the table comment, so that an analyst's SQL client and
    the published Parquet files show them. Runs as a post-hook of the adam marts.
-#}
{% macro persist_labels() -%}
    {%- set statements = [] -%}
    {%- set dataset_label = (model.config.get('meta') or {}).get('label')
        or model.description.strip().replace("\n", " ").split(' (')[0].split(':')[0].split('.')[0] -%}
    {%- if dataset_label -%}
        {%- set title = dataset_label | replace("'", "''") -%}
        {%- do statements.append("comment on table " ~ this ~ " is '" ~ title ~ "'") -%}
    {%- endif -%}
    {%- for name, column in model.columns.items() -%}
        {%- set meta = column.get('meta') or {} -%}
        {%- set label = meta.get('label') or (column.get('config') or {}).get('meta', {}).get('label') -%}
        {%- if label -%}
            {%- do statements.append("comment on column " ~ this ~ '."' ~ name ~ '" is ' ~ "'" ~ (label | replace("'", "''")) ~ "'") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ statements | join(";\n") if statements else "select 1" }}
{%- endmacro %}
