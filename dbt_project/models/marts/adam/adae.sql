{#-
    ADAE: adverse events analysis dataset (CDISC ADaM OCCDS), one row per adverse event of a
    patient in ADSL that started on or before the data cut-off. Each CTE is one derivation step
    of SPEC section 5 ("Dates and days", "Adverse events"), in the order of the SAP: imputed
    start, study day, treatment-emergent flag, then the worst-grade flags among TEAEs.
-#}
{%- set cutoff = data_cutoff() -%}

with

-- Step 1. Patients and their treatment dates, as ADSL derived them (doses on or before the
-- cut-off only; a lenvatinib period ongoing at the cut-off ends at the cut-off in LENEDT).
subjects as (
    select STUDYID, USUBJID, TRT01A, TRT01AN, SAFFL, TRTSDT, TRTEDT, LENEDT
    from {{ ref('adsl') }}
),

adverse_events as (
    select events.*, subjects.* exclude (USUBJID)
    from {{ ref('int_adverse_events') }} as events
    inner join subjects using (USUBJID)
),

-- Step 2. Analysis start date (ASTDT, ASTDTF). A partial start imputes to the 1st of the month
-- (1 January when the month is unknown), but to TRTSDT when TRTSDT falls within the partial date
-- and is not after the AE end (the last date a partial end can stand for). ASTDTF: D = day
-- imputed, M = month and day imputed.
-- Analysis end date (AENDT): complete end dates only; an end after the cut-off is not known yet.
dates_imputed as (
    select
        *,
        {{ impute_dtc_first(
            'AESTDTC',
            'case when TRTSDT <= coalesce(' ~ dtc_last_possible_date('AEENDTC') ~ ', TRTSDT) then TRTSDT end'
        ) }} as ASTDT,
        {{ dtc_imputation_flag('AESTDTC') }} as ASTDTF,
        case when AEENDT <= {{ cutoff }} then AEENDT end as AENDT
    from adverse_events
),

-- Step 3. Only AEs starting on or before the cut-off; study day of the start (day 1 = TRTSDT).
within_cutoff as (
    select *, {{ study_day('ASTDT', 'TRTSDT') }} as ASTDY
    from dates_imputed
    where ASTDT <= {{ cutoff }}
),

-- Step 4. Treatment-emergent (TRTEMFL = Y): start on or after TRTSDT and no later than the last
-- lenvatinib dose + teae_days_after_last_dose days. Without lenvatinib the SIRT date is the last
-- dose (TRTEDT is the last SIRT then). LENEDT is the cut-off while dosing is ongoing.
treatment_emergent as (
    select
        *,
        case
            when ASTDT >= TRTSDT
             and ASTDT <= coalesce(LENEDT, TRTEDT) + {{ var('teae_days_after_last_dose') }}
                then 'Y'
        end as TRTEMFL
    from within_cutoff
),

-- Step 5. Worst grade per patient among TEAEs, flagged on its first occurrence (ADaM OCCDS
-- "1st max. intensity occurrence"): over all AEs (AOCCIFL), per SOC (AOCCSIFL), per SOC and PT
-- (AOCCPIFL). Ties on grade go to the earliest start, then the lowest AESPID.
{%- set worst_first = 'order by AETOXGR desc nulls last, ASTDT, AESPID' %}
worst_grade as (
    select
        *,
        case when TRTEMFL = 'Y' and row_number() over (
            partition by USUBJID, TRTEMFL {{ worst_first }}) = 1 then 'Y' end as AOCCIFL,
        case when TRTEMFL = 'Y' and row_number() over (
            partition by USUBJID, TRTEMFL, AESOC {{ worst_first }}) = 1 then 'Y' end as AOCCSIFL,
        case when TRTEMFL = 'Y' and row_number() over (
            partition by USUBJID, TRTEMFL, AESOC, AEDECOD {{ worst_first }}) = 1 then 'Y' end as AOCCPIFL
    from treatment_emergent
)

select
    STUDYID,
    USUBJID,
    TRT01A,
    TRT01AN,
    SAFFL,
    TRTSDT,
    AESPID,
    AETERM,
    AEDECOD,
    AESOC,
    AESTDTC,
    ASTDT,
    ASTDTF,
    AEENDTC,
    AENDT,
    ASTDY,
    TRTEMFL,
    AETOXGR,
    AETOXGR as ATOXGR,
    AESER,
    AEREL_LEN as AERELLEN,
    AEREL_SIRT as AERELSRT,
    AEACN_LEN as AEACNLEN,
    AEOUT,
    case when AEOUT = 'FATAL' or AETOXGR = 5 then 'Y' else 'N' end as FATALFL,
    AOCCIFL,
    AOCCSIFL,
    AOCCPIFL,
    source_file as SRCFILE,
    source_line as SRCLINE
from worst_grade
{{ key_order() }}
