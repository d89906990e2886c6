{#- Study-level helpers that read the study configuration (the vars in dbt_project.yml). -#}

{#-
    The value of a var, or none when it is unset, null or an empty string.
-#}
{% macro optional_var(name) -%}
    {%- set value = var(name, none) -%}
    {%- if value is none or (value | string | trim) in ('', 'None', 'none', 'null') -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(value | string | trim) }}
{%- endmacro %}


{#-
    A run value (export_id, export_date or data_cutoff) as SQL: the var's literal when --vars sets
    it (a developer's dbt run, a unit test); else, in a refresh, a query of the export the refresh
    registered (WAREHOUSE_RUN_VALUES names that table, audit.current_export), read when the SQL
    runs. A refresh's compiled SQL is then the same from one export to the next, and its dbt run can
    be replayed (orchestration/dbt_replay.py). None when neither gives one.
-#}
{% macro run_value(name, type) -%}
    {%- set value = optional_var(name) -%}
    {%- if value is not none -%}
        {%- if type == 'date' and not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value) -%}
            {{ exceptions.raise_compiler_error(
                "var " ~ name ~ " must be a date written YYYY-MM-DD, got '" ~ value ~ "'") }}
        {%- endif -%}
        {{ return(type ~ " '" ~ value ~ "'" if type == 'date' else "'" ~ value ~ "'") }}
    {%- endif -%}
    {%- set table = env_var('WAREHOUSE_RUN_VALUES', '') -%}
    {%- if table -%}
        {{ return("(select " ~ name ~ " from " ~ table ~ ")") }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}


{#-
    The data cut-off as a SQL date: var data_cutoff when set, else var export_date (the date of
    the export being loaded), else in a refresh the cut-off it registered (its own, the study's
    or the export date), else today (local development only). Nothing dated after it is used.
-#}
{% macro data_cutoff() -%}
    {%- if optional_var('data_cutoff') is none and optional_var('export_date') is not none -%}
        {{- run_value('export_date', 'date') -}}
    {%- else -%}
        {{- run_value('data_cutoff', 'date') or 'current_date' -}}
    {%- endif -%}
{%- endmacro %}


{#- USUBJID: `<study_id>-<SUBJID>`, unique across the studies of a submission. -#}
{% macro usubjid(subjid_column) -%}
    '{{ var("study_id") }}-' || {{ subjid_column }}
{%- endmacro %}


{#- The arm's number (TRT01PN / TRT01AN): its position in var arms, starting at 1. -#}
{% macro arm_number(arm_column) -%}
    case {{ arm_column }}
    {%- for arm in var('arms') %} when '{{ arm }}' then {{ loop.index }}{% endfor %}
    end
{%- endmacro %}


{#-
    Intermediate models switch on var input_source (edc or sdtm). Any other value stops
    the run with a message naming the model.
-#}
{% macro unsupported_input_source(model_name) -%}
    {{ exceptions.raise_compiler_error(
        model_name ~ ": var input_source '" ~ var('input_source') ~ "' is not supported;"
        ~ " expected one of: edc, sdtm") }}
{%- endmacro %}


{#-
    Study day of a date (SPEC section 5): date - STARTDT + 1 from the start on (day 1 is the start
    date), date - STARTDT before it: there is no day 0.
-#}
{% macro study_day(date_column, start_column) -%}
    cast(case
        when {{ date_column }} >= {{ start_column }} then {{ date_column }} - {{ start_column }} + 1
        else {{ date_column }} - {{ start_column }}
    end as integer)
{%- endmacro %}


{#-
    Lenvatinib starting dose (mg/day) the weight rule calls for (SPEC section 1): var
    lenvatinib_dose_high_mg when the baseline weight is at least lenvatinib_weight_threshold_kg,
    else lenvatinib_dose_low_mg; null when the weight is unknown.
-#}
{% macro lenvatinib_expected_starting_dose(weight_column) -%}
    case
        when {{ weight_column }} >= {{ var('lenvatinib_weight_threshold_kg') }} then {{ var('lenvatinib_dose_high_mg') }}
        when {{ weight_column }} is not null then {{ var('lenvatinib_dose_low_mg') }}
    end
{%- endmacro %}


{#-
    Last day of a dosing period as known at the cut-off: the cut-off while the period is ongoing
    (no end) or when it runs past the cut-off; an end before the start is read as a one-day period
    (a data query). One rule for int_treatment_start (LENEDT) and ADEX (days per period).
-#}
{% macro dose_end_at_cutoff(start_column, end_column, cutoff) -%}
    least(greatest({{ start_column }}, coalesce({{ end_column }}, {{ cutoff }})), {{ cutoff }})
{%- endmacro %}


{#-
    SDTM input: the randomised subjects (DS DSDECOD RANDOMIZED), the enrolled patients of the
    warehouse. Screen failures are not enrolled; their records stay in staging only.
-#}
{% macro sdtm_randomised_subjects() -%}
    (select USUBJID from {{ ref('stg_sdtm__ds') }} where DSDECOD = 'RANDOMIZED')
{%- endmacro %}
