{#-
    SQL condition: the column's value is set and is not a code of the named code list in the
    `codelists` seed (the single source of code lists, also read by the ingest row checks).
    Two exceptions, both from the study configuration: the arms (code list ARM) are var arms, so
    that a profile names its own arms; and SDTM input (var input_source = sdtm) carries the
    sender's controlled terminology, not this study's EDC code lists, so the other code lists do
    not apply to it. `relation_alias` is the alias of the checked table in the calling query.
-#}
{% macro not_in_codelist(column_name, codelist, relation_alias) -%}
{{ column_name }} is not null
{%- if codelist == 'ARM' %}
  and {{ column_name }} not in ({% for arm in var('arms') %}'{{ arm }}'{% if not loop.last %}, {% endif %}{% endfor %})
{%- elif var('input_source') == 'sdtm' %}
  and false
{%- else %}
  and not exists (
      select 1
      from {{ ref('codelists') }} as codes
      where codes.codelist = '{{ codelist }}'
        and codes.code = {{ relation_alias }}.{{ column_name }}
  )
{%- endif %}
{%- endmacro %}
