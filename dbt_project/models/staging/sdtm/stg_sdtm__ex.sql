-- SDTM EX (exposure): one row per constant-dosing interval, typed.
with raw_rows as (
    {{ rows_not_quarantined(source('raw', 'sdtm_ex')) }}
)

select
    STUDYID,
    USUBJID,
    cast(EXSEQ as integer) as EXSEQ,
    EXTRT,
    cast(EXDOSE as double) as EXDOSE,
    EXDOSU,
    EXSTDTC,
    {{ iso8601_date('EXSTDTC') }} as EXSTDT,
    EXENDTC,
    {{ iso8601_date('EXENDTC') }} as EXENDT,
    _export_id as export_id,
    _file as source_file,
    _line as source_line
from raw_rows
order by USUBJID, EXSEQ
