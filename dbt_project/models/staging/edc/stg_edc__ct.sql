-- New anticancer therapy form (edc/ct.csv): therapies started after study treatment, typed.
with raw_rows as (
    {{ rows_not_quarantined(source('raw', 'edc_ct')) }}
)

select
    SUBJID,
    cast(CTSEQ as integer) as CTSEQ,
    CTTYPE,
    CTNAME,
    CTSTDAT,
    {{ edc_date('CTSTDAT') }} as CTSTDAT_DT,
    _export_id as export_id,
    _file as source_file,
    _line as source_line
from raw_rows
order by SUBJID, CTSEQ
