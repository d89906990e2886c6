{#-
    ADTR: tumour measurement analysis dataset (SPEC section 5 "Tumour measurements"), BDS, for
    patients with measurable disease at baseline (ADSL MDISFL = Y). Per scan, the baseline scan
    and every post-baseline scan on or before the cut-off: the sum of the viable diameters of the
    baseline targets (SDIAM) and each target's viable diameter (LDIAMn, n = target number in
    LESION_ID order), with change from baseline and from nadir. The SDIAM row with the best
    (smallest) percent change among the analysed post-baseline scans carries BESTFL = Y: the
    waterfall plot. Nothing dated after the cut-off (DCUTDT) is used.
-#}

with

-- Step 1. Patients with measurable disease at baseline.
patients as (
    select STUDYID, USUBJID, SUBJID, TRT01P, TRT01PN, TRT01A, STARTDT, DCUTDT
    from {{ ref('adsl') }}
    where MDISFL = 'Y'
),

-- Step 2. LDIAMn: viable diameter of target n at the baseline scan and each later scan. Null
-- when the target was not measured (no record, NE_REASON, or no value).
target_rows as (
    select
        measurements.USUBJID,
        'LDIAM' || measurements.TARGET_NUMBER as PARAMCD,
        'Target Lesion ' || measurements.TARGET_NUMBER || ' Viable Diameter (mm)' as PARAM,
        1 + measurements.TARGET_NUMBER as PARAMN,
        measurements.LESION_ID as TRLNKID,
        measurements.ORGAN as TULOC,
        measurements.VIABLE_DIAM_MM as AVAL,
        measurements.SCAN_DT as ADT,
        measurements.VISIT,
        measurements.ABLFL,
        'IMAGING' as SRCDOM,
        'VIABLE_DIAM_MM' as SRCVAR,
        measurements.source_line as SRCSEQ
    from {{ ref('int_target_measurements') }} as measurements
),

-- Step 3. SDIAM: sum of the viable diameters of the baseline targets; null (not evaluable) when
-- a target was not measured at that scan.
sum_rows as (
    select
        USUBJID,
        'SDIAM' as PARAMCD,
        'Sum of Viable Target Lesion Diameters (mm)' as PARAM,
        1 as PARAMN,
        cast(null as varchar) as TRLNKID,
        cast(null as varchar) as TULOC,
        BASE_SUM as AVAL,
        BASEDT as ADT,
        'BASELINE' as VISIT,
        'Y' as ABLFL,
        'IMAGING' as SRCDOM,
        'VIABLE_DIAM_MM' as SRCVAR,
        cast(null as integer) as SRCSEQ
    from {{ ref('int_tumour_baseline') }}
    where MDISFL = 'Y'

    union all

    select
        USUBJID,
        'SDIAM',
        'Sum of Viable Target Lesion Diameters (mm)',
        1,
        null,
        null,
        case when TARGETS_MEASURED = TARGETS then TARGET_SUM end,
        SCAN_DT,
        VISIT,
        null,
        'IMAGING',
        'VIABLE_DIAM_MM',
        null
    from {{ ref('int_target_response') }}
),

-- Step 4. Within the cut-off, with ADSL's identifiers; study day without day 0.
measurements as (
    select
        patients.STUDYID,
        patients.USUBJID,
        patients.SUBJID,
        patients.TRT01P,
        patients.TRT01PN,
        patients.TRT01A,
        patients.STARTDT,
        parameters.PARAMCD,
        parameters.PARAM,
        parameters.PARAMN,
        parameters.TRLNKID,
        parameters.TULOC,
        parameters.AVAL,
        parameters.ADT,
        {{ study_day('parameters.ADT', 'patients.STARTDT') }} as ADY,
        case when parameters.ABLFL = 'Y' then 'BASELINE' else parameters.VISIT end as AVISIT,
        parameters.ABLFL,
        parameters.SRCDOM,
        parameters.SRCVAR,
        parameters.SRCSEQ
    from (select * from target_rows union all select * from sum_rows) as parameters
    inner join patients using (USUBJID)
    where parameters.ADT <= patients.DCUTDT
),

-- Step 5. Baseline (BASE), change (CHG, PCHG) and nadir: the smallest value of the parameter
-- on an earlier scan, baseline included (NADIR, PCHGNAD). Differences in exact decimals.
baseline_and_nadir as (
    select
        *,
        max(case when ABLFL = 'Y' then AVAL end) over (partition by USUBJID, PARAMCD) as BASE,
        {{ nadir_before('AVAL', 'USUBJID, PARAMCD', 'ADT') }} as NADIR
    from measurements
),

-- Changes are post-baseline only (null on the baseline record).
changes as (
    select
        *,
        case when ABLFL is null then cast(cast(AVAL as decimal(10, 2)) - cast(BASE as decimal(10, 2)) as double) end as CHG,
        case when ABLFL is null then 100 * (cast(AVAL as decimal(10, 2)) - cast(BASE as decimal(10, 2))) / nullif(BASE, 0) end as PCHG,
        100 * (cast(AVAL as decimal(10, 2)) - cast(NADIR as decimal(10, 2))) / nullif(NADIR, 0) as PCHGNAD
    from baseline_and_nadir
),

-- Step 6. Analysed records (ANL01FL): the baseline, and the post-baseline scans that count for
-- response (int_response_counted: on or before the cut-off and the first new anticancer
-- therapy, up to and including the first PD).
analysed as (
    select
        changes.*,
        case
            when changes.ABLFL = 'Y' or counted.USUBJID is not null then 'Y'
        end as ANL01FL
    from changes
    left join {{ ref('int_response_counted') }} as counted
        on counted.USUBJID = changes.USUBJID
       and counted.ADT = changes.ADT
       and changes.ABLFL is null
),

-- Step 7. Best percent change from baseline (BESTFL, waterfall plot): the SDIAM row with the
-- smallest PCHG among the analysed post-baseline scans with a complete sum (the earliest on a
-- tie).
best_change as (
    select USUBJID, ADT, 'Y' as BESTFL
    from analysed
    where PARAMCD = 'SDIAM'
      and ABLFL is null
      and ANL01FL = 'Y'
      and PCHG is not null
    qualify row_number() over (partition by USUBJID order by PCHG, ADT) = 1
)

select
    analysed.STUDYID,
    analysed.USUBJID,
    analysed.SUBJID,
    analysed.TRT01P,
    analysed.TRT01PN,
    analysed.TRT01A,
    analysed.STARTDT,
    analysed.PARAMCD,
    analysed.PARAM,
    cast(analysed.PARAMN as integer) as PARAMN,
    analysed.TRLNKID,
    analysed.TULOC,
    cast(analysed.AVAL as double) as AVAL,
    cast(analysed.BASE as double) as BASE,
    analysed.CHG,
    cast(analysed.PCHG as double) as PCHG,
    cast(analysed.NADIR as double) as NADIR,
    cast(analysed.PCHGNAD as double) as PCHGNAD,
    analysed.ADT,
    analysed.ADY,
    analysed.AVISIT,
    analysed.ABLFL,
    analysed.ANL01FL,
    best_change.BESTFL,
    analysed.SRCDOM,
    analysed.SRCVAR,
    cast(analysed.SRCSEQ as integer) as SRCSEQ
from analysed
left join best_change
    on best_change.USUBJID = analysed.USUBJID
   and best_change.ADT = analysed.ADT
   and analysed.PARAMCD = 'SDIAM'
{{ key_order() }}
