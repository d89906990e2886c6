-- SDTM DS (disposition): one row per disposition event or protocol milestone, typed.
with raw_rows as (
    {{ rows_not_quarantined(source('raw', 'sdtm_ds')) }}
)

select
    STUDYID,
    USUBJID,
    cast(DSSEQ as integer) as DSSEQ,
    DSDECOD,
    DSCAT,
    DSSTDTC,
    {{ iso8601_date('DSSTDTC') }} as DSSTDT,
    _export_id as export_id,
    _file as source_file,
    _line as source_line
from raw_rows
order by USUBJID, DSSEQ
