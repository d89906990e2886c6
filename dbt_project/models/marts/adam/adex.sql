{#-
    ADEX: exposure analysis dataset (CDISC ADaM BDS), one row per treated patient (ADSL SAFFL = Y)
    and parameter. SPEC section 5 "Exposure": lenvatinib duration, starting dose against the
    weight rule, cumulative dose and relative dose intensity, dose reductions and interruptions;
    SIRT activity and the SIRT-to-lenvatinib gap. Only doses on or before the cut-off count; a
    lenvatinib period ongoing or running past the cut-off ends at the cut-off.
-#}
{%- set cutoff = data_cutoff() -%}

with

-- Step 1. Treated patients with their treatment dates as ADSL derived them (LENSDT, LENEDT:
-- first and last day of lenvatinib, LENEDT capped at the cut-off; SIRTDT: the SIRT procedure).
treated as (
    select STUDYID, USUBJID, TRT01A, TRT01AN, SAFFL, WEIGHTBL, TRTSDT, SIRTDT, LENSDT, LENEDT
    from {{ ref('adsl') }}
    where SAFFL = 'Y'
),

-- Step 2. Lenvatinib periods on or before the cut-off, each with its days (an end before the
-- start is one day, as in int_treatment_start) and the dose and end of the period before it.
lenvatinib_periods as (
    select
        exposure.USUBJID,
        exposure.EXSEQ,
        exposure.EXSTDT,
        exposure.EXDOSE,
        {{ dose_end_at_cutoff('exposure.EXSTDT', 'exposure.EXENDT', cutoff) }} as EXENDT_AT_CUTOFF
    from {{ ref('int_exposure') }} as exposure
    inner join treated using (USUBJID)
    where exposure.EXTRT = 'LENVATINIB'
      and exposure.EXSTDT <= {{ cutoff }}
),

lenvatinib_periods_in_order as (
    select
        *,
        EXENDT_AT_CUTOFF - EXSTDT + 1 as PERIOD_DAYS,
        row_number() over (partition by USUBJID order by EXSTDT, EXSEQ) as PERIOD_NUMBER,
        lag(EXDOSE) over (partition by USUBJID order by EXSTDT, EXSEQ) as PREVIOUS_DOSE,
        lag(EXENDT_AT_CUTOFF) over (partition by USUBJID order by EXSTDT, EXSEQ) as PREVIOUS_END
    from lenvatinib_periods
),

-- Step 3. Per patient:
--   starting dose = the dose of the first period;
--   cumulative actual dose = sum over periods of EXDOSE x days of the period;
--   dose reduction = a period whose dose is lower than the period before it (counted from the
--     doses themselves: EXADJ sits on the period that ended, and an interruption may restart
--     at a lower dose);
--   interruption = a gap of at least one day between the end of a period and the next start.
lenvatinib_summary as (
    select
        USUBJID,
        max(EXDOSE) filter (where PERIOD_NUMBER = 1) as STARTING_DOSE,
        sum(EXDOSE * PERIOD_DAYS) as CUMULATIVE_DOSE,
        count(*) filter (where EXDOSE < PREVIOUS_DOSE) as REDUCTIONS,
        count(*) filter (where EXSTDT - PREVIOUS_END - 1 >= 1) as INTERRUPTIONS
    from lenvatinib_periods_in_order
    group by USUBJID
),

-- Step 4. Duration (first dose to last dose, capped at the cut-off), the expected starting dose
-- by the weight rule and the relative dose intensity:
--   RDI = cumulative actual dose / (expected starting dose x duration) x 100.
lenvatinib as (
    select
        treated.USUBJID,
        cast(treated.LENEDT - treated.LENSDT + 1 as integer) as DURATION_DAYS,
        summary.STARTING_DOSE,
        {{ lenvatinib_expected_starting_dose('treated.WEIGHTBL') }} as EXPECTED_DOSE,
        summary.CUMULATIVE_DOSE,
        summary.REDUCTIONS,
        summary.INTERRUPTIONS
    from treated
    inner join lenvatinib_summary as summary using (USUBJID)
    where treated.LENSDT is not null
),

-- Step 5. SIRT: total activity of the procedures on or before the cut-off, and the days from
-- SIRT to the first lenvatinib dose (the protocol asks for 3 to 7).
sirt as (
    select
        treated.USUBJID,
        sum(exposure.EXDOSE) as ACTIVITY_GBQ,
        any_value(treated.LENSDT - treated.SIRTDT) as GAP_DAYS
    from {{ ref('int_exposure') }} as exposure
    inner join treated using (USUBJID)
    where exposure.EXTRT = 'SIRT'
      and exposure.EXSTDT <= {{ cutoff }}
    group by treated.USUBJID
),

-- Step 6. One row per patient and parameter (AVAL numeric; AVALC Y/N for the yes/no ones).
parameters as (
    select USUBJID, 1 as PARAMN, 'TRTDURD' as PARAMCD, 'Lenvatinib Duration of Treatment (days)' as PARAM,
           cast(DURATION_DAYS as double) as AVAL, null as AVALC, 'DAYS' as AVALU
    from lenvatinib
    union all
    select USUBJID, 2, 'STDOSE', 'Lenvatinib Starting Dose (mg/day)', STARTING_DOSE, null, 'mg'
    from lenvatinib
    union all
    select USUBJID, 3, 'EXPSTDOS', 'Lenvatinib Expected Starting Dose by Weight (mg/day)', EXPECTED_DOSE, null, 'mg'
    from lenvatinib
    union all
    select USUBJID, 4, 'STDOSDFL', 'Lenvatinib Starting Dose Not per Weight Rule',
           case when STARTING_DOSE <> EXPECTED_DOSE then 1 else 0 end,
           case when STARTING_DOSE <> EXPECTED_DOSE then 'Y' else 'N' end, null
    from lenvatinib
    where EXPECTED_DOSE is not null
    union all
    select USUBJID, 5, 'CUMDOSE', 'Lenvatinib Cumulative Actual Dose (mg)', CUMULATIVE_DOSE, null, 'mg'
    from lenvatinib
    union all
    select USUBJID, 6, 'RDI', 'Lenvatinib Relative Dose Intensity (%)',
           CUMULATIVE_DOSE / (EXPECTED_DOSE * DURATION_DAYS) * 100, null, '%'
    from lenvatinib
    where EXPECTED_DOSE is not null
    union all
    select USUBJID, 7, 'NREDUC', 'Number of Lenvatinib Dose Reductions', REDUCTIONS, null, 'COUNT'
    from lenvatinib
    union all
    select USUBJID, 8, 'REDUCFL', 'Any Lenvatinib Dose Reduction',
           case when REDUCTIONS > 0 then 1 else 0 end, case when REDUCTIONS > 0 then 'Y' else 'N' end, null
    from lenvatinib
    union all
    select USUBJID, 9, 'NINTRP', 'Number of Lenvatinib Interruptions', INTERRUPTIONS, null, 'COUNT'
    from lenvatinib
    union all
    select USUBJID, 10, 'INTRPFL', 'Any Lenvatinib Interruption',
           case when INTERRUPTIONS > 0 then 1 else 0 end, case when INTERRUPTIONS > 0 then 'Y' else 'N' end, null
    from lenvatinib
    union all
    select USUBJID, 11, 'SIRTACT', 'SIRT Activity (GBq)', ACTIVITY_GBQ, null, 'GBq'
    from sirt
    union all
    select USUBJID, 12, 'SIRTLGAP', 'Days from SIRT to First Lenvatinib Dose', GAP_DAYS, null, 'DAYS'
    from sirt
    where GAP_DAYS is not null
)

select
    treated.STUDYID,
    treated.USUBJID,
    treated.TRT01A,
    treated.TRT01AN,
    treated.SAFFL,
    treated.TRTSDT,
    cast(parameters.PARAMN as integer) as PARAMN,
    parameters.PARAMCD,
    parameters.PARAM,
    cast(parameters.AVAL as double) as AVAL,
    cast(parameters.AVALC as varchar) as AVALC,
    cast(parameters.AVALU as varchar) as AVALU
from parameters
inner join treated using (USUBJID)
{{ key_order() }}
