{#-
    Dates. EDC forms write `dd MMM yyyy` (`07 MAR 2025`) with unknown parts `UN` (day) and `UNK`
    (month): `UN MAR 2025`, `UN UNK 2025`. The imaging core lab writes ISO `yyyy-mm-dd`.
    Staging turns each EDC date into <COL>_DT (complete dates only) and, where partial dates are
    allowed, <COL>_YEAR and <COL>_MONTH. Intermediate models carry partial dates as ISO 8601
    strings (--DTC: `2025-03-07`, `2025-03`, `2025`) so that EDC and SDTM inputs look the same,
    and the ADaM imputation macros below work on those strings.
-#}

{#- Complete EDC date as DATE; null when any part is unknown. %b is case-insensitive. -#}
{% macro edc_date(column) -%}
    cast(try_strptime({{ column }}, '%d %b %Y') as date)
{%- endmacro %}


{#- Year of an EDC date, complete or partial; null when unknown. -#}
{% macro edc_date_year(column) -%}
    try_cast(regexp_extract({{ column }}, '([0-9]{4})$', 1) as integer)
{%- endmacro %}


{#- Month (1-12) of an EDC date, complete or partial; null when `UNK`. -#}
{% macro edc_date_month(column) -%}
    {%- set months = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN',
                      'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] -%}
    case upper(split_part({{ column }}, ' ', 2))
    {%- for month in months %} when '{{ month }}' then {{ loop.index }}{% endfor %}
    end
{%- endmacro %}


{#- ISO yyyy-mm-dd text as DATE (imaging files). -#}
{% macro iso_date(column) -%}
    cast(try_strptime({{ column }}, '%Y-%m-%d') as date)
{%- endmacro %}


{#- ISO 8601 (--DTC) text of a complete or partial date: `2025-03-07`, `2025-03` or `2025`. -#}
{% macro iso8601_dtc(date_column, year_column=none, month_column=none) -%}
    case
        when {{ date_column }} is not null then strftime({{ date_column }}, '%Y-%m-%d')
        {%- if year_column is not none %}
        when {{ year_column }} is not null and {{ month_column }} is not null
            then printf('%04d-%02d', {{ year_column }}, {{ month_column }})
        when {{ year_column }} is not null then printf('%04d', {{ year_column }})
        {%- endif %}
    end
{%- endmacro %}


{#- First and last dates a (possibly partial) --DTC value can stand for. -#}
{% macro dtc_first_possible_date(dtc) -%}
    case
        when regexp_matches({{ dtc }}, '^[0-9]{4}-[0-9]{2}-[0-9]{2}')
            then cast(left({{ dtc }}, 10) as date)
        when regexp_matches({{ dtc }}, '^[0-9]{4}-[0-9]{2}')
            then cast(left({{ dtc }}, 7) || '-01' as date)
        when regexp_matches({{ dtc }}, '^[0-9]{4}')
            then cast(left({{ dtc }}, 4) || '-01-01' as date)
    end
{%- endmacro %}

{% macro dtc_last_possible_date(dtc) -%}
    case
        when regexp_matches({{ dtc }}, '^[0-9]{4}-[0-9]{2}-[0-9]{2}')
            then cast(left({{ dtc }}, 10) as date)
        when regexp_matches({{ dtc }}, '^[0-9]{4}-[0-9]{2}')
            then last_day(cast(left({{ dtc }}, 7) || '-01' as date))
        when regexp_matches({{ dtc }}, '^[0-9]{4}')
            then cast(left({{ dtc }}, 4) || '-12-31' as date)
    end
{%- endmacro %}


{#-
    Date imputation flag (--DTF) of a --DTC value: null when complete, `D` when only the day is
    missing, `M` when the month (and so the day) is missing.
-#}
{% macro dtc_imputation_flag(dtc) -%}
    case
        when regexp_matches({{ dtc }}, '^[0-9]{4}-[0-9]{2}-[0-9]{2}') then null
        when regexp_matches({{ dtc }}, '^[0-9]{4}-[0-9]{2}') then 'D'
        when regexp_matches({{ dtc }}, '^[0-9]{4}') then 'M'
    end
{%- endmacro %}


{#-
    Impute a partial --DTC to the first possible date (1st of the month, 1 January when the
    month is missing), or to min_date when min_date is later but still a date the partial value
    can stand for (admiral's `min_dates`: a min_date outside that range is ignored). A complete
    date is returned as is.
-#}
{% macro impute_dtc_first(dtc, min_date=none) -%}
    {%- if min_date is none -%}
        {{ dtc_first_possible_date(dtc) }}
    {%- else -%}
        case
            when {{ min_date }} between {{ dtc_first_possible_date(dtc) }}
                                    and {{ dtc_last_possible_date(dtc) }}
                then {{ min_date }}
            else {{ dtc_first_possible_date(dtc) }}
        end
    {%- endif -%}
{%- endmacro %}


{#-
    SDTM --DTC (ISO 8601) text as DATE when the day is known (`2014-01-02`, `2014-01-02T11:45`);
    null when partial (`2014-01`, `2014`). The --DTC text itself is kept beside it.
-#}
{% macro iso8601_date(dtc) -%}
    case
        when regexp_matches({{ dtc }}, '^[0-9]{4}-[0-9]{2}-[0-9]{2}')
            then cast(try_strptime(left({{ dtc }}, 10), '%Y-%m-%d') as date)
    end
{%- endmacro %}
