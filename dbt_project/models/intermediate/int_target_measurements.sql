{#-
    Target lesion measurements: one row per patient with measurable disease (MDISFL = Y), scan
    and baseline target, for the baseline scan and every scan after STARTDT. A baseline target
    with no record at a follow-up scan is a row too (MEASUREMENT_STATUS MISSING): mRECIST follows
    exactly the baseline targets, and a target not measured makes the target response NE.
-#}

with

-- Step 1. Baseline targets of patients with measurable disease.
baseline_targets as (
    select
        lesions.USUBJID,
        lesions.LESION_ID,
        lesions.TARGET_NUMBER,
        lesions.ORGAN,
        lesions.LOCATION
    from {{ ref('int_tumour_baseline_lesions') }} as lesions
    inner join {{ ref('int_tumour_baseline') }} as baseline using (USUBJID)
    where lesions.LESION_CLASS = 'TARGET'
      and baseline.MDISFL = 'Y'
),

-- Step 2. The post-baseline scans (after STARTDT) of those patients.
followup_scans as (
    select
        lesions.USUBJID,
        lesions.SUBJID,
        lesions.SCAN_ID,
        lesions.SCAN_DT,
        min(lesions.VISIT) as VISIT
    from {{ ref('int_tumour_lesions') }} as lesions
    inner join {{ ref('int_tumour_baseline') }} as baseline using (USUBJID)
    where baseline.MDISFL = 'Y'
      and lesions.SCAN_DT > baseline.STARTDT
    group by all
),

-- Step 3. Each baseline target at each follow-up scan, matched by LESION_ID; no record ->
-- MISSING. A record with NE_REASON is NOT ASSESSED (a value beside it is not used); a record
-- with neither a value nor a reason is NOT MEASURED.
followup_measurements as (
    select
        followup_scans.USUBJID,
        followup_scans.SUBJID,
        followup_scans.SCAN_ID,
        followup_scans.SCAN_DT,
        followup_scans.VISIT,
        cast(null as varchar) as ABLFL,
        baseline_targets.LESION_ID,
        baseline_targets.TARGET_NUMBER,
        baseline_targets.ORGAN,
        baseline_targets.LOCATION,
        case when lesions.NE_REASON is null then lesions.VIABLE_DIAM_MM end as VIABLE_DIAM_MM,
        case when lesions.NE_REASON is null then lesions.TOTAL_DIAM_MM end as TOTAL_DIAM_MM,
        lesions.NE_REASON,
        case
            when lesions.LESION_ID is null then 'MISSING'
            when lesions.NE_REASON is not null then 'NOT ASSESSED'
            when lesions.VIABLE_DIAM_MM is null then 'NOT MEASURED'
            else 'MEASURED'
        end as MEASUREMENT_STATUS,
        lesions.source_file,
        lesions.source_line
    from followup_scans
    inner join baseline_targets using (USUBJID)
    left join {{ ref('int_tumour_lesions') }} as lesions
        on lesions.USUBJID = followup_scans.USUBJID
       and lesions.SCAN_ID = followup_scans.SCAN_ID
       and lesions.LESION_ID = baseline_targets.LESION_ID
),

-- Step 4. The baseline measurements themselves (ABLFL = Y).
baseline_measurements as (
    select
        lesions.USUBJID,
        lesions.SUBJID,
        lesions.SCAN_ID,
        lesions.BASEDT as SCAN_DT,
        lesions.VISIT,
        'Y' as ABLFL,
        lesions.LESION_ID,
        lesions.TARGET_NUMBER,
        lesions.ORGAN,
        lesions.LOCATION,
        case when lesions.IS_MEASURED then lesions.VIABLE_DIAM_MM end as VIABLE_DIAM_MM,
        case when lesions.NE_REASON is null then lesions.TOTAL_DIAM_MM end as TOTAL_DIAM_MM,
        lesions.NE_REASON,
        case
            when lesions.NE_REASON is not null then 'NOT ASSESSED'
            when lesions.VIABLE_DIAM_MM is null then 'NOT MEASURED'
            else 'MEASURED'
        end as MEASUREMENT_STATUS,
        lesions.source_file,
        lesions.source_line
    from {{ ref('int_tumour_baseline_lesions') }} as lesions
    inner join baseline_targets using (USUBJID, LESION_ID)
)

select * from baseline_measurements
union all
select * from followup_measurements
order by USUBJID, SCAN_DT, SCAN_ID, TARGET_NUMBER
