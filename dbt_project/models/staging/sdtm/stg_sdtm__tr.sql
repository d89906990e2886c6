-- SDTM TR (tumor/lesion results): one row per lesion measurement or state, typed.
with raw_rows as (
    {{ rows_not_quarantined(source('raw', 'sdtm_tr')) }}
)

select
    STUDYID,
    USUBJID,
    cast(TRSEQ as integer) as TRSEQ,
    TRGRPID,
    TRLNKID,
    TRTESTCD,
    TRSTRESC,
    cast(TRSTRESN as double) as TRSTRESN,
    TRSTAT,
    TREVAL,
    TREVALID,
    VISIT,
    TRDTC,
    {{ iso8601_date('TRDTC') }} as TRDT,
    _export_id as export_id,
    _file as source_file,
    _line as source_line
from raw_rows
order by USUBJID, TRSEQ
