-- SDTM AE (adverse events): one row per event, typed; start and end as ISO 8601 text (partial
-- allowed) beside their complete-date forms.
with raw_rows as (
    {{ rows_not_quarantined(source('raw', 'sdtm_ae')) }}
)

select
    STUDYID,
    USUBJID,
    cast(AESEQ as integer) as AESEQ,
    AETERM,
    AEDECOD,
    AESOC,
    AESEV,
    cast(AETOXGR as integer) as AETOXGR,
    AESER,
    AEREL,
    AEACN,
    AEOUT,
    AESTDTC,
    {{ iso8601_date('AESTDTC') }} as AESTDT,
    AEENDTC,
    {{ iso8601_date('AEENDTC') }} as AEENDT,
    _export_id as export_id,
    _file as source_file,
    _line as source_line
from raw_rows
order by USUBJID, AESEQ
