{#-
    mRECIST non-target response (SPEC section 5): one row per patient with a baseline scan and
    post-baseline scan. The non-targets followed are those recorded at baseline, by LESION_ID.
-#}

with

-- Step 1. Post-baseline scans (after STARTDT) of patients with a baseline scan.
followup_scans as (
    select
        lesions.USUBJID,
        lesions.SUBJID,
        lesions.SCAN_ID,
        lesions.SCAN_DT,
        min(lesions.VISIT) as VISIT
    from {{ ref('int_tumour_lesions') }} as lesions
    inner join {{ ref('int_tumour_baseline') }} as baseline using (USUBJID)
    where baseline.BASEDT is not null
      and lesions.SCAN_DT > baseline.STARTDT
    group by all
),

-- Step 2. Status of each baseline non-target at each scan: NOT ASSESSED when there is no record,
-- no status, or a reason for not assessing it.
nontarget_statuses as (
    select
        followup_scans.USUBJID,
        followup_scans.SCAN_ID,
        case
            when lesions.LESION_ID is null or lesions.NT_STATUS is null or lesions.NE_REASON is not null
                then 'NOT ASSESSED'
            else lesions.NT_STATUS
        end as STATUS
    from followup_scans
    inner join {{ ref('int_tumour_baseline_lesions') }} as baseline_nontargets
        on baseline_nontargets.USUBJID = followup_scans.USUBJID
       and baseline_nontargets.LESION_CLASS = 'NON-TARGET'
    left join {{ ref('int_tumour_lesions') }} as lesions
        on lesions.USUBJID = followup_scans.USUBJID
       and lesions.SCAN_ID = followup_scans.SCAN_ID
       and lesions.LESION_ID = baseline_nontargets.LESION_ID
),

per_scan as (
    select
        USUBJID,
        SCAN_ID,
        count(*) as NONTARGETS,
        count(*) filter (where STATUS = 'UNEQUIVOCAL PROGRESSION') as NONTARGETS_PROGRESSED,
        count(*) filter (where STATUS = 'ABSENT') as NONTARGETS_ABSENT,
        count(*) filter (where STATUS = 'NOT ASSESSED') as NONTARGETS_NOT_ASSESSED
    from nontarget_statuses
    group by USUBJID, SCAN_ID
)

-- Step 3. Non-target response, in this order: ND when there were none at baseline; PD when
-- any shows unequivocal progression; CR when all are absent; NE when any is not assessed;
-- otherwise NON-CR/NON-PD.
select
    followup_scans.USUBJID,
    followup_scans.SUBJID,
    followup_scans.SCAN_ID,
    followup_scans.SCAN_DT,
    followup_scans.VISIT,
    coalesce(per_scan.NONTARGETS, 0) as NONTARGETS,
    coalesce(per_scan.NONTARGETS_PROGRESSED, 0) as NONTARGETS_PROGRESSED,
    coalesce(per_scan.NONTARGETS_ABSENT, 0) as NONTARGETS_ABSENT,
    coalesce(per_scan.NONTARGETS_NOT_ASSESSED, 0) as NONTARGETS_NOT_ASSESSED,
    case
        when per_scan.USUBJID is null then 'ND'
        when per_scan.NONTARGETS_PROGRESSED > 0 then 'PD'
        when per_scan.NONTARGETS_ABSENT = per_scan.NONTARGETS then 'CR'
        when per_scan.NONTARGETS_NOT_ASSESSED > 0 then 'NE'
        else 'NON-CR/NON-PD'
    end as NTRGRESP
from followup_scans
left join per_scan using (USUBJID, SCAN_ID)
order by USUBJID, followup_scans.SCAN_DT, SCAN_ID
