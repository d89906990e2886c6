-- Adverse event form (edc/ae.csv), typed. AE start and end may be partial dates: <COL>_DT is
-- set only for complete dates, <COL>_YEAR and <COL>_MONTH whenever that part is known.
with raw_rows as (
    {{ rows_not_quarantined(source('raw', 'edc_ae')) }}
)

select
    SUBJID,
    cast(AESPID as integer) as AESPID,
    AETERM,
    AEDECOD,
    AESOC,
    AESTDAT,
    {{ edc_date('AESTDAT') }} as AESTDAT_DT,
    {{ edc_date_year('AESTDAT') }} as AESTDAT_YEAR,
    {{ edc_date_month('AESTDAT') }} as AESTDAT_MONTH,
    AEENDAT,
    {{ edc_date('AEENDAT') }} as AEENDAT_DT,
    {{ edc_date_year('AEENDAT') }} as AEENDAT_YEAR,
    {{ edc_date_month('AEENDAT') }} as AEENDAT_MONTH,
    cast(AETOXGR as integer) as AETOXGR,
    AESER,
    AEREL_LEN,
    AEREL_SIRT,
    AEACN_LEN,
    AEOUT,
    _export_id as export_id,
    _file as source_file,
    _line as source_line
from raw_rows
order by SUBJID, AESPID
