{#-
    Baseline tumour assessment (SPEC section 5 "Baseline"): the lesions recorded at each
    patient's baseline scan, the last scan on or before STARTDT and at most baseline_window_days
    before it. Targets are numbered 1.. in LESION_ID order (ADTR's LDIAMn). A patient without
    such a scan has no row here.
-#}
{%- set window_days = var('baseline_window_days') -%}

with

-- Step 1. Scans that can be the baseline: on or before the analysis start and at most
-- baseline_window_days before it.
candidate_scans as (
    select distinct
        lesions.USUBJID,
        lesions.SCAN_DT,
        patients.STARTDT
    from {{ ref('int_tumour_lesions') }} as lesions
    inner join {{ ref('int_treatment_start') }} as patients using (USUBJID)
    where lesions.SCAN_DT <= patients.STARTDT
      and patients.STARTDT - lesions.SCAN_DT <= {{ window_days }}
),

-- Step 2. The baseline is the last of them.
baseline_scan as (
    select USUBJID, max(SCAN_DT) as BASEDT
    from candidate_scans
    group by USUBJID
),

-- Step 3. Every lesion recorded on the baseline date (several scans on that date: the first
-- record of each lesion).
baseline_lesions as (
    select lesions.*, baseline_scan.BASEDT
    from {{ ref('int_tumour_lesions') }} as lesions
    inner join baseline_scan
        on lesions.USUBJID = baseline_scan.USUBJID
       and lesions.SCAN_DT = baseline_scan.BASEDT
    qualify row_number() over (partition by lesions.USUBJID, lesions.LESION_ID order by lesions.SCAN_ID) = 1
)

-- Step 4. Target number n (1..) in LESION_ID order: parameter LDIAMn of ADTR.
select
    USUBJID,
    SUBJID,
    BASEDT,
    SCAN_ID,
    VISIT,
    LESION_ID,
    LESION_CLASS,
    case
        when LESION_CLASS = 'TARGET'
            then row_number() over (partition by USUBJID, LESION_CLASS order by LESION_ID)
    end as TARGET_NUMBER,
    ORGAN,
    LOCATION,
    VIABLE_DIAM_MM,
    TOTAL_DIAM_MM,
    NT_STATUS,
    NE_REASON,
    -- Measured: a viable diameter recorded without a reason for not assessing it.
    VIABLE_DIAM_MM is not null and NE_REASON is null as IS_MEASURED,
    source_file,
    source_line
from baseline_lesions
order by USUBJID asc, LESION_CLASS desc, LESION_ID asc
