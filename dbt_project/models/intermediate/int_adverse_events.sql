-- Adverse events with start and end as ISO 8601 text (AESTDTC, AEENDTC: complete or partial,
-- as SDTM writes them) and as dates when complete (AESTDT, AEENDT). Imputation is ADAE's job.
{%- if var('input_source') == 'edc' %}

select
    {{ usubjid('SUBJID') }} as USUBJID,
    SUBJID,
    AESPID,
    AETERM,
    AEDECOD,
    AESOC,
    {{ iso8601_dtc('AESTDAT_DT', 'AESTDAT_YEAR', 'AESTDAT_MONTH') }} as AESTDTC,
    AESTDAT_DT as AESTDT,
    {{ iso8601_dtc('AEENDAT_DT', 'AEENDAT_YEAR', 'AEENDAT_MONTH') }} as AEENDTC,
    AEENDAT_DT as AEENDT,
    AETOXGR,
    AESER,
    AEREL_LEN,
    AEREL_SIRT,
    AEACN_LEN,
    AEOUT,
    source_file,
    source_line
from {{ ref('stg_edc__ae') }}
order by USUBJID, AESPID

{%- else %}
{{ unsupported_input_source('int_adverse_events') }}
{%- endif %}
