-- Tumour assessments: one row per patient and scan date, from the lesion measurements and the
-- reader's timepoint verdicts (a scan may be in either or both), with the line each came from.
{%- if var('input_source') == 'edc' %}

with lesion_scans as (
    select
        SUBJID,
        SCAN_DAT_DT as SCAN_DT,
        min(VISIT) as VISIT,
        count(*) as LESION_RECORDS,
        min(source_file) as LESION_SOURCE_FILE,
        min(source_line) as LESION_SOURCE_LINE
    from {{ ref('stg_imaging__lesions') }}
    group by SUBJID, SCAN_DAT_DT
),

reader_timepoints as (
    select
        SUBJID,
        SCAN_DAT_DT as SCAN_DT,
        VISIT,
        READER_TARGET,
        READER_NONTARGET,
        READER_NEW,
        READER_OVERALL,
        source_file as READER_SOURCE_FILE,
        source_line as READER_SOURCE_LINE
    from {{ ref('stg_imaging__timepoints') }}
)

select
    {{ usubjid('coalesce(reader_timepoints.SUBJID, lesion_scans.SUBJID)') }} as USUBJID,
    coalesce(reader_timepoints.SUBJID, lesion_scans.SUBJID) as SUBJID,
    coalesce(reader_timepoints.SCAN_DT, lesion_scans.SCAN_DT) as SCAN_DT,
    coalesce(reader_timepoints.VISIT, lesion_scans.VISIT) as VISIT,
    coalesce(lesion_scans.LESION_RECORDS, 0) as LESION_RECORDS,
    reader_timepoints.READER_TARGET,
    reader_timepoints.READER_NONTARGET,
    reader_timepoints.READER_NEW,
    reader_timepoints.READER_OVERALL,
    lesion_scans.LESION_SOURCE_FILE,
    lesion_scans.LESION_SOURCE_LINE,
    reader_timepoints.READER_SOURCE_FILE,
    reader_timepoints.READER_SOURCE_LINE
from lesion_scans
full outer join reader_timepoints
    on lesion_scans.SUBJID = reader_timepoints.SUBJID
   and lesion_scans.SCAN_DT = reader_timepoints.SCAN_DT
order by USUBJID, SCAN_DT

{%- else %}
{{ unsupported_input_source('int_tumour_scans') }}
{%- endif %}
