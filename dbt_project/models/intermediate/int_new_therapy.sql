-- New anticancer therapies started after study treatment (they end the assessments that count
-- for response and censor PFS).
{%- if var('input_source') == 'edc' %}

select
    {{ usubjid('SUBJID') }} as USUBJID,
    SUBJID,
    CTSEQ,
    CTTYPE,
    CTNAME,
    CTSTDAT_DT as CTSTDT,
    source_file,
    source_line
from {{ ref('stg_edc__ct') }}
order by USUBJID, CTSEQ

{%- else %}
{{ unsupported_input_source('int_new_therapy') }}
{%- endif %}
