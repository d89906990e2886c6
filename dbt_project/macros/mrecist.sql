{#- Tumour response helpers (SPEC section 5, mRECIST), shared by the response models and ADTR. -#}

{#-
    Nadir: the smallest value of `value` on an earlier date of the same partition (rows of the
    current date excluded, nulls ignored); null when there is none. With the baseline row in the
    partition, this is "the smallest sum so far, baseline included, before the current scan".
-#}
{% macro nadir_before(value, partition_by, date_column) -%}
    min({{ value }}) over (
        partition by {{ partition_by }}
        order by {{ date_column }}
        range between unbounded preceding and interval 1 day preceding
    )
{%- endmacro %}


{#-
    Sort key of an overall timepoint response, worst first: PD, SD, NON-CR/NON-PD, PR, CR, then
    NE (NE loses to any real response). Several scans on one date: the first in this order wins.
-#}
{% macro overall_response_worst_first(response) -%}
    case {{ response }}
        when 'PD' then 1
        when 'SD' then 2
        when 'NON-CR/NON-PD' then 3
        when 'PR' then 4
        when 'CR' then 5
        when 'NE' then 6
        else 7
    end
{%- endmacro %}
