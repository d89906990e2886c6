-- Survival follow-up form (edc/surv.csv): one row per contact, typed. The death date may be
-- partial: DEATH_DAT_DT only when complete, DEATH_DAT_YEAR / DEATH_DAT_MONTH when known.
with raw_rows as (
    {{ rows_not_quarantined(source('raw', 'edc_surv')) }}
)

select
    SUBJID,
    cast(CONTACT_SEQ as integer) as CONTACT_SEQ,
    CONTACT_DAT,
    {{ edc_date('CONTACT_DAT') }} as CONTACT_DAT_DT,
    STATUS,
    DEATH_DAT,
    {{ edc_date('DEATH_DAT') }} as DEATH_DAT_DT,
    {{ edc_date_year('DEATH_DAT') }} as DEATH_DAT_YEAR,
    {{ edc_date_month('DEATH_DAT') }} as DEATH_DAT_MONTH,
    DEATH_CAUSE,
    _export_id as export_id,
    _file as source_file,
    _line as source_line
from raw_rows
order by SUBJID, CONTACT_SEQ
