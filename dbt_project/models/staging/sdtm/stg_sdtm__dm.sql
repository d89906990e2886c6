-- SDTM DM (demographics): one row per subject, typed. Death date kept as ISO 8601 text
-- (DTHDTC, possibly partial) beside its complete-date form.
with raw_rows as (
    {{ rows_not_quarantined(source('raw', 'sdtm_dm')) }}
)

select
    STUDYID,
    USUBJID,
    SUBJID,
    SITEID,
    RFSTDTC,
    {{ iso8601_date('RFSTDTC') }} as RFSTDT,
    RFXSTDTC,
    {{ iso8601_date('RFXSTDTC') }} as RFXSTDT,
    DTHDTC,
    {{ iso8601_date('DTHDTC') }} as DTHDT,
    DTHFL,
    cast(AGE as integer) as AGE,
    SEX,
    ARMCD,
    ARM,
    ACTARMCD,
    ACTARM,
    _export_id as export_id,
    _file as source_file,
    _line as source_line
from raw_rows
order by USUBJID
