-- SDTM TU (tumor/lesion identification): one row per lesion identification, typed.
with raw_rows as (
    {{ rows_not_quarantined(source('raw', 'sdtm_tu')) }}
)

select
    STUDYID,
    USUBJID,
    cast(TUSEQ as integer) as TUSEQ,
    TULNKID,
    TUTESTCD,
    TUSTRESC,
    TULOC,
    TUEVAL,
    TUEVALID,
    VISIT,
    TUDTC,
    {{ iso8601_date('TUDTC') }} as TUDT,
    _export_id as export_id,
    _file as source_file,
    _line as source_line
from raw_rows
order by USUBJID, TUSEQ
