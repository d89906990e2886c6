-- Imaging core-lab lesion measurements (imaging/lesions.csv): one row per lesion per scan,
-- typed. Diameters in millimetres; an empty measurement with NE_REASON means not assessed.
with raw_rows as (
    {{ rows_not_quarantined(source('raw', 'imaging_lesions')) }}
)

select
    SUBJID,
    VISIT,
    SCAN_DAT,
    {{ iso_date('SCAN_DAT') }} as SCAN_DAT_DT,
    LESION_ID,
    LESION_CLASS,
    ORGAN,
    LOCATION,
    cast(VIABLE_DIAM_MM as double) as VIABLE_DIAM_MM,
    cast(TOTAL_DIAM_MM as double) as TOTAL_DIAM_MM,
    NT_STATUS,
    TYPICAL,
    NE_REASON,
    _export_id as export_id,
    _file as source_file,
    _line as source_line
from raw_rows
order by SUBJID, SCAN_DAT_DT, LESION_ID
