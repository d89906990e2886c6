{#-
    Every non-null value of the column is a code of the named code list in the `codelists`
    seed (the single source of code lists, also read by the ingest row checks).
-#}
{% test in_codelist(model, column_name, codelist) %}
select {{ column_name }} as value_not_in_codelist
from {{ model }} as checked
where {{ column_name }} is not null
  and not exists (
      select 1
      from {{ ref('codelists') }} as codes
      where codes.codelist = '{{ codelist }}'
        and codes.code = checked.{{ column_name }}
  )
{% endtest %}
