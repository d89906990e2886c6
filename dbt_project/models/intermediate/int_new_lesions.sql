{#-
    New lesions (SPEC section 5, mRECIST): one row per new-lesion record on a post-baseline scan,
    with its classification at that scan and the finding that counts (NEWLESION). A new lesion is
    unequivocal when extrahepatic, or hepatic with typical enhancement (arterial hyper-enhancement
    with washout) and at least 10 mm; otherwise equivocal. An equivocal lesion makes no PD by
    itself, but once the same LESION_ID is unequivocal on a scan on or before the cut-off, PD is
    dated back to the scan where it first appeared: every record of it then counts as `Y`.
-#}
{%- set cutoff = data_cutoff() -%}

with

-- Step 1. New-lesion records on scans after STARTDT.
new_lesions as (
    select lesions.*
    from {{ ref('int_tumour_lesions') }} as lesions
    inner join {{ ref('int_treatment_start') }} as patients using (USUBJID)
    where lesions.LESION_CLASS = 'NEW'
      and lesions.SCAN_DT > patients.STARTDT
),

-- Step 2. Unequivocal at this scan?
classified as (
    select
        *,
        case
            when ORGAN <> 'LIVER' then true
            when TYPICAL = 'Y' and TOTAL_DIAM_MM >= 10 then true
            else false
        end as IS_UNEQUIVOCAL
    from new_lesions
),

-- Step 3. Per lesion: the scan where it first appeared and the first scan showing it unequivocal.
lesion_history as (
    select
        USUBJID,
        LESION_ID,
        min(SCAN_DT) as FIRST_SEEN_DT,
        min(SCAN_DT) filter (where IS_UNEQUIVOCAL) as UNEQUIVOCAL_DT
    from classified
    group by USUBJID, LESION_ID
)

-- Step 4. The finding at each scan: `Y` when the lesion is unequivocal at this scan or before,
-- or later on or before the cut-off (dated back); `EQUIVOCAL` otherwise.
select
    classified.USUBJID,
    classified.SUBJID,
    classified.SCAN_ID,
    classified.SCAN_DT,
    classified.VISIT,
    classified.LESION_ID,
    classified.ORGAN,
    classified.LOCATION,
    classified.TOTAL_DIAM_MM,
    classified.TYPICAL,
    classified.IS_UNEQUIVOCAL,
    lesion_history.FIRST_SEEN_DT,
    lesion_history.UNEQUIVOCAL_DT,
    case
        when lesion_history.UNEQUIVOCAL_DT <= greatest(classified.SCAN_DT, {{ cutoff }}) then 'Y'
        else 'EQUIVOCAL'
    end as NEWLESION,
    classified.source_file,
    classified.source_line
from classified
inner join lesion_history using (USUBJID, LESION_ID)
order by classified.USUBJID, classified.SCAN_DT, classified.LESION_ID
