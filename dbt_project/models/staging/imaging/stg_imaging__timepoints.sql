-- Imaging core-lab reader's timepoint verdicts (imaging/timepoints.csv): one row per scan date.
with raw_rows as (
    {{ rows_not_quarantined(source('raw', 'imaging_timepoints')) }}
)

select
    SUBJID,
    VISIT,
    SCAN_DAT,
    {{ iso_date('SCAN_DAT') }} as SCAN_DAT_DT,
    READER_TARGET,
    READER_NONTARGET,
    READER_NEW,
    READER_OVERALL,
    _export_id as export_id,
    _file as source_file,
    _line as source_line
from raw_rows
order by SUBJID, SCAN_DAT_DT
