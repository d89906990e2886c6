-- Both input layouts feed this model (var input_source picks one at run time); the graph
-- keeps both, so that it is the same whatever the profile:
-- depends_on: {{ ref('stg_imaging__lesions') }}
-- depends_on: {{ ref('stg_imaging__timepoints') }}
-- depends_on: {{ ref('stg_sdtm__rs') }}
-- depends_on: {{ ref('int_tumour_lesions') }}
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

{%- elif var('input_source') == 'sdtm' %}

-- SDTM: the overall responses (RS OVRLRESP) of var sdtm_evaluator, one per date as the
-- reader's verdict; a partial RSDTC (no day) is dated at the last day of its month, as
-- admiralonco does (ADTF D). Of several on one date the worst wins (NE loses to any real one).
with responses as (
    select
        USUBJID,
        coalesce(RSDT, {{ dtc_last_possible_date('RSDTC') }}) as SCAN_DT,
        VISIT,
        RSSTRESC,
        RSSEQ,
        source_file,
        source_line
    from {{ ref('stg_sdtm__rs') }}
    where RSTESTCD = 'OVRLRESP'
      and coalesce(RSEVAL, '') = '{{ var("sdtm_evaluator") }}'
      and RSSTRESC in ('CR', 'PR', 'SD', 'NON-CR/NON-PD', 'PD', 'NE')
),

per_date as (
    select *
    from responses
    where SCAN_DT is not null
    qualify row_number() over (
        partition by USUBJID, SCAN_DT
        order by {{ overall_response_worst_first('RSSTRESC') }}, RSSEQ desc
    ) = 1
),

lesion_records as (
    select USUBJID, SCAN_DT, count(*) as LESION_RECORDS
    from {{ ref('int_tumour_lesions') }}
    group by USUBJID, SCAN_DT
)

select
    per_date.USUBJID,
    per_date.USUBJID as SUBJID,
    per_date.SCAN_DT,
    per_date.VISIT,
    coalesce(lesion_records.LESION_RECORDS, 0) as LESION_RECORDS,
    cast(null as varchar) as READER_TARGET,
    cast(null as varchar) as READER_NONTARGET,
    cast(null as varchar) as READER_NEW,
    per_date.RSSTRESC as READER_OVERALL,
    cast(null as varchar) as LESION_SOURCE_FILE,
    cast(null as integer) as LESION_SOURCE_LINE,
    per_date.source_file as READER_SOURCE_FILE,
    per_date.source_line as READER_SOURCE_LINE
from per_date
left join lesion_records using (USUBJID, SCAN_DT)
order by USUBJID, SCAN_DT

{%- else %}
{{ unsupported_input_source('int_tumour_scans') }}
{%- endif %}
