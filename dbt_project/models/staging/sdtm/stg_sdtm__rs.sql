-- SDTM RS (disease response): one row per response assessment, typed. RSDTC may be partial
-- (`2014-02`): RSDT is then null and the intermediate model imputes it.
with raw_rows as (
    {{ rows_not_quarantined(source('raw', 'sdtm_rs')) }}
)

select
    STUDYID,
    USUBJID,
    cast(RSSEQ as integer) as RSSEQ,
    RSTESTCD,
    RSSTRESC,
    RSEVAL,
    RSEVALID,
    VISIT,
    RSDTC,
    {{ iso8601_date('RSDTC') }} as RSDT,
    _export_id as export_id,
    _file as source_file,
    _line as source_line
from raw_rows
order by USUBJID, RSSEQ
