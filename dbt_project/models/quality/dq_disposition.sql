{{ config(schema='quality', materialized='table') }}
{#-
    Data queries on death, disposition, exposure and demography, after pharmaverse sdtmchecks
    (docs/data_queries.md), on the intermediate models either input layout feeds. Never blocking.
-#}

with subjects as (
    select USUBJID, SUBJID, AGE, TRT01P, TRT01A, SAFFL, DTHDT from {{ ref('adsl') }}
),

end_of_study as (
    select USUBJID, DSDECOD, DSSTDT
    from {{ ref('int_disposition') }}
    where DSCAT = 'END OF STUDY'
    qualify row_number() over (partition by USUBJID order by DSSTDT desc) = 1
),

end_of_treatment as (
    select USUBJID, DSDECOD, DSSTDT
    from {{ ref('int_disposition') }}
    where DSCAT = 'END OF TREATMENT'
    qualify row_number() over (partition by USUBJID order by DSSTDT desc) = 1
),

death_dates as (
    select USUBJID, DEATH_DTC
    from {{ ref('int_survival_contacts') }}
    where DEATH_DTC is not null
    qualify row_number() over (partition by USUBJID order by DEATH_DTC, CONTACT_SEQ) = 1
),

exposure as (
    select * from {{ ref('int_exposure') }}
),

-- sdtmchecks check_ds_dsdecod_death, check_dm_ae_ds_death: a death ends the study.
death_without_end_of_study as (
    select
        subjects.SUBJID,
        subjects.USUBJID,
        'DISPOSITION' as DOMAIN,
        'DEATH_NO_END_OF_STUDY' as RULE,
        'end of study' as RECORD_KEY,
        'The patient died ' || coalesce(death_dates.DEATH_DTC, strftime(subjects.DTHDT, '%Y-%m-%d')) || ', but '
            || case
                   when end_of_study.USUBJID is null then 'there is no end-of-study record'
                   else 'the end-of-study reason is ' || end_of_study.DSDECOD
               end as MESSAGE,
        subjects.DTHDT as QUERY_DATE
    from subjects
    left join end_of_study using (USUBJID)
    left join death_dates using (USUBJID)
    where subjects.DTHDT is not null
      and coalesce(end_of_study.DSDECOD, '') <> 'DEATH'
),

-- sdtmchecks check_dd_ae_aedthdtc_ds_dsstdtc, check_ds_multdeath_dsstdtc: one death date everywhere.
death_dates_differ as (
    select
        subjects.SUBJID,
        subjects.USUBJID,
        'DISPOSITION' as DOMAIN,
        'DEATH_DATES_DIFFER' as RULE,
        'end of study' as RECORD_KEY,
        'End of study (death) is dated ' || strftime(end_of_study.DSSTDT, '%Y-%m-%d')
            || ', the survival follow-up death date is ' || death_dates.DEATH_DTC as MESSAGE,
        end_of_study.DSSTDT as QUERY_DATE
    from subjects
    inner join end_of_study using (USUBJID)
    inner join death_dates using (USUBJID)
    where end_of_study.DSDECOD = 'DEATH'
      and end_of_study.DSSTDT is not null
      -- at the death date's precision: `2024-03` agrees with any day of March 2024
      and left(strftime(end_of_study.DSSTDT, '%Y-%m-%d'), least(length(death_dates.DEATH_DTC), 10))
          <> left(death_dates.DEATH_DTC, 10)
),

-- sdtmchecks check_ds_ex_after_discon: no dosing after the end of study.
dose_after_end_of_study as (
    select
        exposure.SUBJID,
        exposure.USUBJID,
        'EXPOSURE' as DOMAIN,
        'DOSE_AFTER_END_OF_STUDY' as RULE,
        'EXSEQ ' || exposure.EXSEQ as RECORD_KEY,
        exposure.EXTRT || ' (EXSEQ ' || exposure.EXSEQ || ') '
            || case
                   when exposure.EXSTDT > end_of_study.DSSTDT then 'starts ' || strftime(exposure.EXSTDT, '%Y-%m-%d')
                   else 'ends ' || strftime(exposure.EXENDT, '%Y-%m-%d')
               end
            || ', after the end of study on ' || strftime(end_of_study.DSSTDT, '%Y-%m-%d') as MESSAGE,
        coalesce(exposure.EXENDT, exposure.EXSTDT) as QUERY_DATE
    from exposure
    inner join end_of_study using (USUBJID)
    where exposure.EXSTDT > end_of_study.DSSTDT or exposure.EXENDT > end_of_study.DSSTDT
),

-- sdtmchecks check_ex_exstdtc_after_exendtc: a dosing period ends on or after its start.
dose_end_before_start as (
    select
        SUBJID,
        USUBJID,
        'EXPOSURE' as DOMAIN,
        'DOSE_END_BEFORE_START' as RULE,
        'EXSEQ ' || EXSEQ as RECORD_KEY,
        EXTRT || ' (EXSEQ ' || EXSEQ || ') ends ' || strftime(EXENDT, '%Y-%m-%d') || ', before its start '
            || strftime(EXSTDT, '%Y-%m-%d') as MESSAGE,
        EXENDT as QUERY_DATE
    from exposure
    where EXENDT < EXSTDT
),

-- sdtmchecks check_ds_ae_discon: treatment ended for an adverse event, but no AE withdrew lenvatinib.
end_of_treatment_for_ae as (
    select
        subjects.SUBJID,
        subjects.USUBJID,
        'DISPOSITION' as DOMAIN,
        'END_OF_TREATMENT_AE_NOT_IN_AE' as RULE,
        'end of treatment' as RECORD_KEY,
        'Treatment ended ' || coalesce(strftime(end_of_treatment.DSSTDT, '%Y-%m-%d'), '(no date)')
            || ' because of an adverse event, but no AE has action DRUG WITHDRAWN' as MESSAGE,
        end_of_treatment.DSSTDT as QUERY_DATE
    from subjects
    inner join end_of_treatment using (USUBJID)
    where end_of_treatment.DSDECOD = 'ADVERSE EVENT'
      and not exists (
          select 1 from {{ ref('int_adverse_events') }} as events
          where events.USUBJID = subjects.USUBJID and events.AEACN_LEN = 'DRUG WITHDRAWN'
      )
),

-- sdtmchecks check_dm_actarm_arm: treated otherwise than planned.
actual_arm_differs as (
    select
        SUBJID,
        USUBJID,
        'DEMOGRAPHY' as DOMAIN,
        'ACTUAL_ARM_DIFFERS' as RULE,
        'arm' as RECORD_KEY,
        'Planned ' || TRT01P || ', treated as ' || TRT01A || '; confirm the treatment received' as MESSAGE,
        cast(null as date) as QUERY_DATE
    from subjects
    where TRT01A is not null and TRT01A <> TRT01P
),

-- sdtmchecks check_dm_age_missing: age missing, under 18 or over 90.
suspicious_age as (
    select
        SUBJID,
        USUBJID,
        'DEMOGRAPHY' as DOMAIN,
        'AGE_SUSPICIOUS' as RULE,
        'age' as RECORD_KEY,
        case when AGE is null then 'Age is missing' else 'Age ' || AGE || ' is under 18 or over 90; confirm it' end as MESSAGE,
        cast(null as date) as QUERY_DATE
    from subjects
    where AGE is null or AGE < 18 or AGE > 90
),

-- sdtmchecks check_dm_usubjid_ae_usubjid: a treated patient without any adverse event.
treated_without_ae as (
    select
        SUBJID,
        USUBJID,
        'ADVERSE EVENTS' as DOMAIN,
        'TREATED_WITHOUT_AE' as RULE,
        'adverse events' as RECORD_KEY,
        'The patient was treated (' || TRT01A || ') but has no adverse event recorded; confirm none occurred' as MESSAGE,
        cast(null as date) as QUERY_DATE
    from subjects
    where SAFFL = 'Y'
      and USUBJID not in (select adverse_events.USUBJID from {{ ref('int_adverse_events') }} as adverse_events)
),

-- sdtmchecks check_ae_ds_partial_death_dates: a partial death date is imputed (SPEC 5); ask for the full date.
contacts as (
    select * from {{ ref('int_survival_contacts') }} where STATUS = 'DEAD'
),

death_date_partial as (
    select
        SUBJID,
        USUBJID,
        'SURVIVAL' as DOMAIN,
        'DEATH_DATE_PARTIAL' as RULE,
        'death date' as RECORD_KEY,
        'The death date is known only as ' || DEATH_DTC || ' (imputed for the analysis); ask for the full date' as MESSAGE,
        DEATH_DT as QUERY_DATE
    from contacts
    where length(DEATH_DTC) < 10
    qualify row_number() over (partition by USUBJID order by CONTACT_SEQ) = 1
),

-- sdtmchecks check_ss_ssdtc_dead_ds, check_ss_ssdtc_dead_dthdtc: the contact reporting a death is not before it.
dead_contact_before_death as (
    select
        SUBJID,
        USUBJID,
        'SURVIVAL' as DOMAIN,
        'DEAD_CONTACT_BEFORE_DEATH' as RULE,
        'contact ' || CONTACT_SEQ as RECORD_KEY,
        'Contact ' || CONTACT_SEQ || ' on ' || strftime(CONTACT_DT, '%Y-%m-%d') || ' reports the death, dated later ('
            || DEATH_DTC || ')' as MESSAGE,
        CONTACT_DT as QUERY_DATE
    from contacts
    where CONTACT_DT < DEATH_DT
),

-- sdtmchecks check_ds_dsterm_death_due_to: the cause of a death is recorded (EDC surv.csv collects it).
death_cause_missing as (
    select
        SUBJID,
        USUBJID,
        'SURVIVAL' as DOMAIN,
        'DEATH_CAUSE_MISSING' as RULE,
        'contact ' || CONTACT_SEQ as RECORD_KEY,
        'Contact ' || CONTACT_SEQ || ' reports a death (' || coalesce(DEATH_DTC, 'no date') || ') without its cause' as MESSAGE,
        coalesce(DEATH_DT, CONTACT_DT) as QUERY_DATE
    from contacts
    where DEATH_CAUSE is null
      and {{ "true" if var('input_source') == 'edc' else "false" }}  -- SDTM DM carries no cause of death
),

-- sdtmchecks check_ex_dup: the same dosing period entered twice under two numbers.
dose_duplicate as (
    select
        SUBJID,
        USUBJID,
        'EXPOSURE' as DOMAIN,
        'DOSE_DUPLICATE' as RULE,
        'EXSEQ ' || EXSEQ as RECORD_KEY,
        EXTRT || ' (EXSEQ ' || EXSEQ || ', ' || coalesce(cast(EXDOSE as varchar), '-') || ' ' || coalesce(EXDOSU, '')
            || ' from ' || coalesce(strftime(EXSTDT, '%Y-%m-%d'), '-') || ') repeats EXSEQ '
            || first_value(EXSEQ) over same_period || '; delete one of them' as MESSAGE,
        EXSTDT as QUERY_DATE
    from exposure
    window same_period as (partition by USUBJID, EXTRT, EXDOSE, EXSTDT, EXENDT order by EXSEQ)
    qualify row_number() over same_period > 1
),

-- sdtmchecks check_ex_exdose_exoccur, check_ex_exdosu: a dose and its unit are recorded (EDC:
-- required at ingest; SDTM: may be empty).
dose_or_unit_missing as (
    select
        SUBJID,
        USUBJID,
        'EXPOSURE' as DOMAIN,
        case when EXDOSE is null then 'DOSE_MISSING' else 'DOSE_UNIT_MISSING' end as RULE,
        'EXSEQ ' || EXSEQ as RECORD_KEY,
        EXTRT || ' (EXSEQ ' || EXSEQ || ') has ' || case when EXDOSE is null then 'no dose' else 'a dose without unit' end as MESSAGE,
        EXSTDT as QUERY_DATE
    from exposure
    where EXDOSE is null or EXDOSU is null or trim(EXDOSU) = ''
),

-- sdtmchecks check_ex_infusion_exstdtc_exendtc, for our one-day procedure: SIRT starts and ends the same day.
sirt_not_one_day as (
    select
        SUBJID,
        USUBJID,
        'EXPOSURE' as DOMAIN,
        'SIRT_NOT_ONE_DAY' as RULE,
        'EXSEQ ' || EXSEQ as RECORD_KEY,
        'SIRT (EXSEQ ' || EXSEQ || ') starts ' || strftime(EXSTDT, '%Y-%m-%d') || ' and ends ' || strftime(EXENDT, '%Y-%m-%d')
            || '; it is a one-day procedure' as MESSAGE,
        EXSTDT as QUERY_DATE
    from exposure
    where EXTRT = 'SIRT' and EXENDT is not null and EXENDT <> EXSTDT
)

select * from death_without_end_of_study
union all
select * from death_date_partial
union all
select * from dead_contact_before_death
union all
select * from death_cause_missing
union all
select * from dose_duplicate
union all
select * from dose_or_unit_missing
union all
select * from sirt_not_one_day
union all
select * from death_dates_differ
union all
select * from dose_after_end_of_study
union all
select * from dose_end_before_start
union all
select * from end_of_treatment_for_ae
union all
select * from actual_arm_differs
union all
select * from suspicious_age
union all
select * from treated_without_ae
