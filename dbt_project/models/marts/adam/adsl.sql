{#-
    ADSL: subject-level analysis dataset, one row per patient enrolled on or before the data
    cut-off. Derived step by step in int_subject_level (SPEC section 5); published here under the
    ADaM contract of adsl.yml (which dbt enforces: hence `select *`, and AM04 is not a concern).
-#}
select * from {{ ref('int_subject_level') }}  -- noqa: AM04
{{ key_order() }}
