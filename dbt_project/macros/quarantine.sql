{#-
    The rows of one raw table that ingest did not quarantine, for the export they came with.
    A raw line may appear several times in quality.quarantine (one row per problem); any of
    them keeps the line out of staging. Every staging model reads its raw table through this.
-#}
{% macro rows_not_quarantined(raw_relation) -%}
    select raw_row.*
    from {{ raw_relation }} as raw_row
    where not exists (
        select 1
        from {{ source('quality', 'quarantine') }} as quarantined
        where quarantined.export_id = raw_row._export_id
          and quarantined.file = raw_row._file
          and quarantined.line = raw_row._line
    )
{%- endmacro %}
