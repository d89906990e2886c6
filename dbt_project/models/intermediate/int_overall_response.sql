{#-
    mRECIST overall timepoint response (SPEC section 5): one row per patient and post-baseline
    assessment date (after STARTDT), computed from the lesions (OVR_COMPUTED) beside the core-lab
    reader's verdict (OVR_READER). AVALC is the one the endpoints use (var response_source).
    No cut-off, PD or new-therapy filter here: ADRS decides which assessments count.
-#}
{%- set response_source = var('response_source') -%}
{%- if response_source not in ('computed', 'reader') -%}
    {{ exceptions.raise_compiler_error(
        "var response_source must be 'computed' or 'reader', got '" ~ response_source ~ "'") }}
{%- endif %}

with

-- Step 1. Post-baseline assessment dates: every scan date after STARTDT with lesion records,
-- a reader verdict, or both.
assessment_dates as (
    select
        scans.*,
        baseline.STARTDT
    from {{ ref('int_tumour_scans') }} as scans
    inner join {{ ref('int_tumour_baseline') }} as baseline using (USUBJID)
    where scans.SCAN_DT > baseline.STARTDT
),

-- Step 2. Post-baseline scans with lesion records, with the patient's baseline status.
lesion_scans as (
    select distinct
        lesions.USUBJID,
        lesions.SCAN_ID,
        lesions.SCAN_DT,
        baseline.BASEDT,
        baseline.MDISFL
    from {{ ref('int_tumour_lesions') }} as lesions
    inner join {{ ref('int_tumour_baseline') }} as baseline using (USUBJID)
    where lesions.SCAN_DT > baseline.STARTDT
),

-- Step 3. New-lesion finding per scan: Y when any new lesion counts as unequivocal, EQUIVOCAL
-- when there are only equivocal ones, N when there is none.
new_lesion_findings as (
    select
        USUBJID,
        SCAN_ID,
        case when bool_or(NEWLESION = 'Y') then 'Y' else 'EQUIVOCAL' end as NEWLESION
    from {{ ref('int_new_lesions') }}
    group by USUBJID, SCAN_ID
),

-- Step 4. Target, non-target and new-lesion responses per scan.
--   No baseline scan: nothing can be evaluated (NE).
--   Baseline without measurable targets: no target response (null).
scan_components as (
    select
        lesion_scans.USUBJID,
        lesion_scans.SCAN_ID,
        lesion_scans.SCAN_DT,
        lesion_scans.BASEDT,
        lesion_scans.MDISFL,
        case
            when lesion_scans.BASEDT is null then 'NE'
            when lesion_scans.MDISFL = 'Y' then targets.TRGRESP
        end as TRGRESP,
        case when lesion_scans.BASEDT is null then 'NE' else nontargets.NTRGRESP end as NTRGRESP,
        coalesce(new_lesion_findings.NEWLESION, 'N') as NEWLESION,
        targets.TARGET_SUM,
        targets.NADIR,
        targets.BASE_SUM
    from lesion_scans
    left join {{ ref('int_target_response') }} as targets using (USUBJID, SCAN_ID)
    left join {{ ref('int_nontarget_response') }} as nontargets using (USUBJID, SCAN_ID)
    left join new_lesion_findings using (USUBJID, SCAN_ID)
),

-- Step 5. Overall response per scan (SPEC section 5 table):
--   no baseline -> NE, whatever the lesions show;
--   an unequivocal new lesion, target PD or non-target PD -> PD;
--   no measurable target at baseline -> the non-target response (ND: nothing to follow, NE);
--   targets CR with non-targets CR or ND -> CR; targets CR otherwise (NON-CR/NON-PD, NE) -> PR;
--   targets PR -> PR; targets SD -> SD; targets NE -> NE.
scan_responses as (
    select
        *,
        case
            when BASEDT is null then 'NE'
            when NEWLESION = 'Y' or TRGRESP = 'PD' or NTRGRESP = 'PD' then 'PD'
            when MDISFL = 'N' then case when NTRGRESP = 'ND' then 'NE' else NTRGRESP end
            when TRGRESP = 'CR' and NTRGRESP in ('CR', 'ND') then 'CR'
            when TRGRESP = 'CR' then 'PR'
            when TRGRESP in ('PR', 'SD') then TRGRESP
            else 'NE'
        end as OVR_COMPUTED
    from scan_components
),

-- Step 6. One response per date: of several scans on one date the worst wins (PD, SD,
-- NON-CR/NON-PD, PR, CR; NE loses to any real response).
date_responses as (
    select *
    from scan_responses
    qualify row_number() over (
        partition by USUBJID, SCAN_DT
        order by {{ overall_response_worst_first('OVR_COMPUTED') }}, SCAN_ID
    ) = 1
)

-- Step 7. Beside the reader's verdict. A date with only a reader verdict has no lesion
-- records to compute from: NE. AVALC and its source follow var response_source.
select
    assessment_dates.USUBJID,
    assessment_dates.SUBJID,
    assessment_dates.SCAN_DT as ADT,
    {{ study_day('assessment_dates.SCAN_DT', 'assessment_dates.STARTDT') }} as ADY,
    assessment_dates.VISIT as AVISIT,
    coalesce(date_responses.OVR_COMPUTED, 'NE') as OVR_COMPUTED,
    assessment_dates.READER_OVERALL as OVR_READER,
    {%- if response_source == 'computed' %}
    coalesce(date_responses.OVR_COMPUTED, 'NE') as AVALC,
    {%- else %}
    assessment_dates.READER_OVERALL as AVALC,
    {%- endif %}
    date_responses.TRGRESP,
    date_responses.NTRGRESP,
    date_responses.NEWLESION,
    assessment_dates.READER_TARGET,
    assessment_dates.READER_NONTARGET,
    assessment_dates.READER_NEW,
    date_responses.TARGET_SUM,
    date_responses.NADIR,
    date_responses.BASE_SUM,
    'IMAGING' as SRCDOM,
    {%- if response_source == 'computed' %}
    case when assessment_dates.LESION_SOURCE_FILE is not null then 'SCAN_DAT' else 'READER_OVERALL' end as SRCVAR,
    coalesce(assessment_dates.LESION_SOURCE_LINE, assessment_dates.READER_SOURCE_LINE) as SRCSEQ,
    coalesce(assessment_dates.LESION_SOURCE_FILE, assessment_dates.READER_SOURCE_FILE) as source_file,
    coalesce(assessment_dates.LESION_SOURCE_LINE, assessment_dates.READER_SOURCE_LINE) as source_line
    {%- else %}
    case when assessment_dates.READER_SOURCE_FILE is not null then 'READER_OVERALL' else 'SCAN_DAT' end as SRCVAR,
    coalesce(assessment_dates.READER_SOURCE_LINE, assessment_dates.LESION_SOURCE_LINE) as SRCSEQ,
    coalesce(assessment_dates.READER_SOURCE_FILE, assessment_dates.LESION_SOURCE_FILE) as source_file,
    coalesce(assessment_dates.READER_SOURCE_LINE, assessment_dates.LESION_SOURCE_LINE) as source_line
    {%- endif %}
from assessment_dates
left join date_responses
    on date_responses.USUBJID = assessment_dates.USUBJID
   and date_responses.SCAN_DT = assessment_dates.SCAN_DT
order by assessment_dates.USUBJID, ADT
