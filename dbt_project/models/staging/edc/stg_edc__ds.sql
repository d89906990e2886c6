-- Disposition form (edc/ds.csv): end of treatment and end of study, typed.
with raw_rows as (
    {{ rows_not_quarantined(source('raw', 'edc_ds')) }}
)

select
    SUBJID,
    DSCAT,
    DSDECOD,
    DSSTDAT,
    {{ edc_date('DSSTDAT') }} as DSSTDAT_DT,
    _export_id as export_id,
    _file as source_file,
    _line as source_line
from raw_rows
order by SUBJID, DSCAT
