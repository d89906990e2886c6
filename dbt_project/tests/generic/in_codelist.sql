{#- Every non-null value of the column is a code of the named code list (macro not_in_codelist). -#}
{% test in_codelist(model, column_name, codelist) %}
select {{ column_name }} as value_not_in_codelist
from {{ model }} as checked
where {{ not_in_codelist(column_name, codelist, 'checked') }}
{% endtest %}
