-- Study treatment form (edc/ex.csv): one row per SIRT procedure or constant-dose lenvatinib
-- period, typed. An empty EXENDAT means the period is ongoing.
with raw_rows as (
    {{ rows_not_quarantined(source('raw', 'edc_ex')) }}
)

select
    SUBJID,
    cast(EXSEQ as integer) as EXSEQ,
    EXTRT,
    cast(EXDOSE as double) as EXDOSE,
    EXDOSU,
    EXSTDAT,
    {{ edc_date('EXSTDAT') }} as EXSTDAT_DT,
    EXENDAT,
    {{ edc_date('EXENDAT') }} as EXENDAT_DT,
    EXADJ,
    _export_id as export_id,
    _file as source_file,
    _line as source_line
from raw_rows
order by SUBJID, EXSEQ
