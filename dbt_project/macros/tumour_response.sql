{#-
    AVAL of an ADRS response or flag AVALC (SPEC 5): CR 1, PR 2, SD 3, NON-CR/NON-PD 4, PD 5,
    NE 6, MISSING 7; Y 1, N 0. The response codes are the `order_n` of the OVERALL_RESPONSE
    code list.
-#}
{% macro response_aval(avalc) -%}
    case {{ avalc }}
        when 'CR' then 1
        when 'PR' then 2
        when 'SD' then 3
        when 'NON-CR/NON-PD' then 4
        when 'PD' then 5
        when 'NE' then 6
        when 'MISSING' then 7
        when 'Y' then 1
        when 'N' then 0
    end
{%- endmacro %}
