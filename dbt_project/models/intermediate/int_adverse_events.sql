-- Both input layouts feed this model (var input_source picks one at run time); the graph
-- keeps both, so that it is the same whatever the profile:
-- depends_on: {{ ref('stg_sdtm__ds') }}
-- depends_on: {{ ref('stg_edc__ae') }}
-- depends_on: {{ ref('stg_sdtm__ae') }}
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

{%- elif var('input_source') == 'sdtm' %}

-- SDTM AE: AESEQ identifies the event; relatedness and action are per study treatment in the
-- LEN+SIRT shape and have no SDTM single-treatment equivalent here: null.
select
    USUBJID,
    USUBJID as SUBJID,
    AESEQ as AESPID,
    AETERM,
    AEDECOD,
    AESOC,
    AESTDTC,
    AESTDT,
    AEENDTC,
    AEENDT,
    AETOXGR,
    AESER,
    cast(null as varchar) as AEREL_LEN,
    cast(null as varchar) as AEREL_SIRT,
    cast(null as varchar) as AEACN_LEN,
    AEOUT,
    source_file,
    source_line
from {{ ref('stg_sdtm__ae') }}
where USUBJID in {{ sdtm_randomised_subjects() }}
order by USUBJID, AESPID

{%- else %}
{{ unsupported_input_source('int_adverse_events') }}
{%- endif %}
