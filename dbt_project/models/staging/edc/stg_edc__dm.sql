-- Enrolment and baseline form (edc/dm.csv): one row per enrolled patient, typed.
with raw_rows as (
    {{ rows_not_quarantined(source('raw', 'edc_dm')) }}
)

select
    SUBJID,
    SITEID,
    ARM,
    ENRLDAT,
    {{ edc_date('ENRLDAT') }} as ENRLDAT_DT,
    cast(AGE as integer) as AGE,
    SEX,
    cast(WEIGHT_KG as double) as WEIGHT_KG,
    cast(ECOG as integer) as ECOG,
    CHILD_PUGH,
    BCLC,
    ETIOLOGY,
    cast(AFP_NGML as double) as AFP_NGML,
    cast(PRIOR_TACE_N as integer) as PRIOR_TACE_N,
    MVI,
    EHS,
    _export_id as export_id,
    _file as source_file,
    _line as source_line
from raw_rows
order by SUBJID
