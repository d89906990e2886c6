-- Tumour lesion assessments: one row per patient, scan and lesion, in the shape every input
-- source (var input_source) feeds. SCAN_ID names one imaging assessment: the core-lab files
-- have one scan per date (the date is the scan); SDTM input can have several on one date, and
-- the response derivations keep them apart until the worst-wins step per date.
{%- if var('input_source') == 'edc' %}

select
    {{ usubjid('SUBJID') }} as USUBJID,
    SUBJID,
    strftime(SCAN_DAT_DT, '%Y-%m-%d') as SCAN_ID,
    SCAN_DAT_DT as SCAN_DT,
    VISIT,
    LESION_ID,
    LESION_CLASS,
    ORGAN,
    LOCATION,
    VIABLE_DIAM_MM,
    TOTAL_DIAM_MM,
    NT_STATUS,
    TYPICAL,
    NE_REASON,
    source_file,
    source_line
from {{ ref('stg_imaging__lesions') }}
where SCAN_DAT_DT is not null
order by USUBJID, SCAN_DT, LESION_ID

{%- else %}
{{ unsupported_input_source('int_tumour_lesions') }}
{%- endif %}
