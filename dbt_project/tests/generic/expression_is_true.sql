{#-
    Every row satisfies the SQL expression (rows where it is null pass, so an expression on
    optional columns holds "when present"). Fails with the rows where it is false.
-#}
{% test expression_is_true(model, expression) %}
select *
from {{ model }}
where not ({{ expression }})
{% endtest %}
