{#-
    The subject level: one row per patient enrolled on or before the data cut-off, every ADSL
    variable. Each CTE is one derivation step of SPEC section 5, in the order of the SAP:
    treatment first, then death and last known alive, disposition, and the populations.
    Nothing dated after the cut-off (DCUTDT) is used. adam.adsl publishes it under its contract;
    the intermediate response and time-to-event steps read it here, so the data flows one way
    (intermediate -> adam).
-#}
{%- set cutoff = data_cutoff() -%}

with

-- Step 1. Enrolled patients (on or before the cut-off) and their start of treatment: study
-- treatment dates from the doses given on or before the cut-off, actual treatment TRT01A and
-- analysis start STARTDT, as derived once in int_treatment_start.
treatment as (
    select * from {{ ref('int_treatment_start') }}
),

enrolled as (
    select subjects.*
    from {{ ref('int_subjects') }} as subjects
    inner join treatment using (USUBJID)
),

-- Step 2. Latest date known alive within the cut-off, before looking at death: it bounds the
-- imputation of a partial death date.
alive_dates_within_cutoff as (
    select USUBJID, ALIVE_DT
    from {{ ref('int_alive_dates') }}
    where ALIVE_DT <= {{ cutoff }}
),

latest_alive_date as (
    select USUBJID, max(ALIVE_DT) as LATEST_ALIVE_DT
    from alive_dates_within_cutoff
    group by USUBJID
),

-- Step 3. Death (DTHDT, DTHDTF, DTHCAUS). A partial death date imputes to the 1st of the month
-- (1 January when the month is unknown), or to the day after the latest alive date when that is
-- later and still within the partial date (DTHDTF: D = day imputed, M = month and day).
-- Of several death reports the earliest counts. Deaths after the cut-off are ignored: the
-- patient is alive at the cut-off.
death_reports as (
    select
        contacts.USUBJID,
        contacts.CONTACT_SEQ,
        {{ impute_dtc_first('contacts.DEATH_DTC', 'latest_alive_date.LATEST_ALIVE_DT + 1') }} as DTHDT,
        {{ dtc_imputation_flag('contacts.DEATH_DTC') }} as DTHDTF,
        contacts.DEATH_CAUSE as DTHCAUS
    from {{ ref('int_survival_contacts') }} as contacts
    left join latest_alive_date using (USUBJID)
    where contacts.STATUS = 'DEAD'
      and contacts.DEATH_DTC is not null
),

death as (
    select USUBJID, DTHDT, DTHDTF, DTHCAUS
    from death_reports
    where DTHDT <= {{ cutoff }}
    qualify row_number() over (partition by USUBJID order by DTHDT, CONTACT_SEQ) = 1
),

-- Step 4. Last known alive date (LSTALVDT): the latest of enrolment, dose, complete AE, alive
-- contact and scan dates, on or before the cut-off and, for a patient who died, on or before
-- the death date.
last_known_alive as (
    select
        alive.USUBJID,
        max(alive.ALIVE_DT) as LSTALVDT
    from alive_dates_within_cutoff as alive
    left join death using (USUBJID)
    where death.DTHDT is null
       or alive.ALIVE_DT <= death.DTHDT
    group by alive.USUBJID
),

-- Step 5. End of treatment and end of study as recorded on or before the cut-off.
--   Status COMPLETED or DISCONTINUED (with the reason) when recorded, else ONGOING
--   (end of treatment: only for treated patients).
disposition_within_cutoff as (
    select USUBJID, DSCAT, DSDECOD, DSSTDT
    from {{ ref('int_disposition') }}
    where DSSTDT <= {{ cutoff }}
),

end_of_treatment as (
    select USUBJID, DSDECOD, DSSTDT
    from disposition_within_cutoff
    where DSCAT = 'END OF TREATMENT'
),

end_of_study as (
    select USUBJID, DSDECOD, DSSTDT
    from disposition_within_cutoff
    where DSCAT = 'END OF STUDY'
),

-- Step 6. Post-baseline tumour assessments on or before the cut-off (any response, NE
-- included): the first one makes a patient with measurable disease response-evaluable.
first_assessment as (
    select USUBJID, min(ADT) as FIRST_ASSESSMENT_DT
    from {{ ref('int_overall_response') }}
    where ADT <= {{ cutoff }}
    group by USUBJID
),

-- Step 7. Analysis populations.
--   FASFL: every enrolled patient (efficacy, by planned arm).
--   SAFFL: any study treatment on or before the cut-off (safety, by actual treatment).
--   MDISFL: measurable disease at baseline (a baseline target with a viable diameter > 0).
--   RESPEVFL: FAS with MDISFL = Y and a post-baseline assessment on or before the cut-off, or
--   death (on or before the cut-off) before one. Progression without a scan is not recorded
--   in the input: a progression is always a post-baseline assessment here.
populations as (
    select
        treatment.USUBJID,
        'Y' as FASFL,
        case when treatment.IS_TREATED then 'Y' else 'N' end as SAFFL,
        coalesce(baseline.MDISFL, 'N') as MDISFL,
        case
            when baseline.MDISFL = 'Y'
             and (first_assessment.FIRST_ASSESSMENT_DT is not null or death.DTHDT is not null) then 'Y'
            else 'N'
        end as RESPEVFL
    from treatment
    left join {{ ref('int_tumour_baseline') }} as baseline using (USUBJID)
    left join first_assessment using (USUBJID)
    left join death using (USUBJID)
)

-- ADSL, one row per enrolled patient.
select
    enrolled.STUDYID,
    enrolled.USUBJID,
    enrolled.SUBJID,
    enrolled.SITEID,
    enrolled.AGE,
    'YEARS' as AGEU,
    enrolled.SEX,
    enrolled.WEIGHTBL,
    enrolled.ECOGBL,
    enrolled.CHILDPGH,
    enrolled.BCLC,
    enrolled.ETIOLOGY,
    enrolled.AFPBL,
    case
        when enrolled.AFPBL >= 400 then 'Y'
        when enrolled.AFPBL is not null then 'N'
    end as AFP400FL,
    enrolled.PRTACEN,
    enrolled.MVI as MVIFL,
    enrolled.EHS as EHSFL,
    enrolled.ARM,
    enrolled.ARM as TRT01P,
    {{ arm_number('enrolled.ARM') }} as TRT01PN,
    treatment.TRT01A,
    {{ arm_number('treatment.TRT01A') }} as TRT01AN,
    enrolled.ENRLDT,
    treatment.SIRTDT,
    treatment.LENSDT,
    treatment.LENEDT,
    treatment.TRTSDT,
    treatment.TRTEDT,
    cast(treatment.TRTEDT - treatment.TRTSDT + 1 as integer) as TRTDURD,
    treatment.STARTDT,
    populations.FASFL,
    populations.SAFFL,
    populations.MDISFL,
    populations.RESPEVFL,
    case
        when end_of_treatment.DSDECOD = 'COMPLETED' then 'COMPLETED'
        when end_of_treatment.DSDECOD is not null then 'DISCONTINUED'
        when treatment.IS_TREATED then 'ONGOING'
    end as EOTSTT,
    end_of_treatment.DSSTDT as EOTDT,
    case when end_of_treatment.DSDECOD <> 'COMPLETED' then end_of_treatment.DSDECOD end as DCTREAS,
    case
        when end_of_study.DSDECOD = 'COMPLETED' then 'COMPLETED'
        when end_of_study.DSDECOD is not null then 'DISCONTINUED'
        else 'ONGOING'
    end as EOSSTT,
    end_of_study.DSSTDT as EOSDT,
    case when end_of_study.DSDECOD <> 'COMPLETED' then end_of_study.DSDECOD end as DCSREAS,
    case when death.DTHDT is not null then 'Y' end as DTHFL,
    death.DTHDT,
    death.DTHDTF,
    death.DTHCAUS,
    last_known_alive.LSTALVDT,
    {{ cutoff }} as DCUTDT
from enrolled
inner join treatment using (USUBJID)
inner join populations using (USUBJID)
left join death using (USUBJID)
left join last_known_alive using (USUBJID)
left join end_of_treatment using (USUBJID)
left join end_of_study using (USUBJID)
order by enrolled.USUBJID
