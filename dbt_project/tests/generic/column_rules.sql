{#-
    A model's column rules in one query: not null, unique, accepted values, code lists, unique key
    combinations, row expressions and relationships to a parent model, each of which used to be a
    dbt test of its own (one dbt node and three Dagster events per rule). Fails with one row per broken rule and offending row:
    `failed_rule` names the rule (`not_null(SUBJID)`, `expression(TRTSDT <= TRTEDT)`), the rest is
    the row itself. Nulls pass every rule but not_null, and an expression that is null passes, as in
    the single tests. orchestration/assets/dbt.py shows each rule's outcome in Dagster.

    relationships: [{column: USUBJID, to: "ref('int_subjects')", field: USUBJID}] fails a row whose
    USUBJID is not null and not an int_subjects.USUBJID, as dbt's relationships test does. dbt reads
    the ref, so the test runs once the parent is built, and blocks what depends on both models: use
    it only where the model itself depends on the parent (docs/data_quality.md), so that it blocks
    the same models its own rules do.
-#}
{% test column_rules(model, not_null=[], unique=[], accepted_values={}, in_codelist={}, unique_combinations=[], expressions=[], relationships=[]) %}
{%- set branches = [] -%}
{%- for column in not_null -%}
    {%- do branches.append(("not_null(" ~ column ~ ")", column ~ " is null")) -%}
{%- endfor -%}
{%- for column in unique -%}
    {%- do branches.append(("unique(" ~ column ~ ")",
        column ~ " in (select " ~ column ~ " from " ~ model ~ " group by " ~ column ~ " having count(*) > 1)")) -%}
{%- endfor -%}
{%- for column, values in accepted_values.items() -%}
    {%- set listed = [] -%}
    {%- for value in values -%}
        {%- do listed.append("'" ~ value ~ "'" if value is string else value | string) -%}
    {%- endfor -%}
    {%- do branches.append(("accepted_values(" ~ column ~ ")", column ~ " not in (" ~ listed | join(", ") ~ ")")) -%}
{%- endfor -%}
{%- for column, codelist in in_codelist.items() -%}
    {%- do branches.append(("in_codelist(" ~ column ~ ")", not_in_codelist(column, codelist, 'checked'))) -%}
{%- endfor -%}
{%- for columns in unique_combinations -%}
    {%- set matches = [] -%}
    {%- for column in columns -%}
        {%- do matches.append("duplicated." ~ column ~ " is not distinct from checked." ~ column) -%}
    {%- endfor -%}
    {%- do branches.append(("unique_combination(" ~ columns | join(", ") ~ ")",
        "exists (select 1 from (select " ~ columns | join(", ") ~ " from " ~ model ~ " group by all having count(*) > 1)"
        ~ " as duplicated where " ~ matches | join(" and ") ~ ")")) -%}
{%- endfor -%}
{%- for expression in expressions -%}
    {%- do branches.append(("expression(" ~ expression.split() | join(" ") ~ ")", "not (" ~ expression ~ ")")) -%}
{%- endfor -%}
{%- for relationship in relationships -%}
    {%- do branches.append(("relationship(" ~ relationship.column ~ " in " ~ relationship.to.identifier ~ "." ~ relationship.field ~ ")",
        relationship.column ~ " is not null and not exists (select 1 from " ~ relationship.to ~ " as parent where parent."
        ~ relationship.field ~ " = checked." ~ relationship.column ~ ")")) -%}
{%- endfor -%}
{%- for rule, condition in branches %}
select '{{ rule | replace("'", "''") }}' as failed_rule, checked.*
from {{ model }} as checked
where {{ condition }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{%- if not branches %}
select null as failed_rule where false
{%- endif %}
{% endtest %}
