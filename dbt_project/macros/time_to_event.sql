{#-
    The tumour assessment schedule, as PFS censoring for missed assessments reads it (SPEC 5,
    "Time to event"): scans every visit_interval_days until study day
    visit_interval_switch_day, then every visit_interval_days_late, each within
    visit_window_days of its scheduled day.
-#}

{#- The scheduled imaging interval (days) at an assessment on study day `assessment_day`. -#}
{% macro scheduled_interval_days(assessment_day) -%}
    case
        when {{ assessment_day }} >= {{ var('visit_interval_switch_day') }}
            then {{ var('visit_interval_days_late') }}
        else {{ var('visit_interval_days') }}
    end
{%- endmacro %}


{#-
    The longest gap (days) from the last adequate assessment, on study day `assessment_day`, to
    a PFS event that still counts: missed_assessments x the scheduled interval +
    visit_window_days.
    A longer gap means missed_assessments or more scans were missed. Null (no limit) when var
    missed_assessments is unset, for studies that do not censor for missed scans.
-#}
{% macro allowed_gap_days(assessment_day) -%}
    {%- set missed_assessments = optional_var('missed_assessments') -%}
    {%- if missed_assessments is none -%}
        cast(null as integer)
    {%- else -%}
        ({{ missed_assessments }} * {{ scheduled_interval_days(assessment_day) }}
            + {{ var('visit_window_days') }})
    {%- endif -%}
{%- endmacro %}
