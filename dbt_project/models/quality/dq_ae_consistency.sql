{{ config(schema='quality', materialized='table') }}
{#-
    Data queries on adverse events, after pharmaverse sdtmchecks (docs/data_queries.md), on
    int_adverse_events, which either input layout feeds. Never blocking.
-#}

with events as (
    select * from {{ ref('int_adverse_events') }}
),

death_dates as (
    -- the death date as recorded (possibly partial), to compare at its own precision
    select USUBJID, DEATH_DTC
    from {{ ref('int_survival_contacts') }}
    where DEATH_DTC is not null
    qualify row_number() over (partition by USUBJID order by DEATH_DTC, CONTACT_SEQ) = 1
),

disposition as (
    select
        USUBJID,
        bool_or(DSCAT = 'END OF TREATMENT') as HAS_END_OF_TREATMENT,
        bool_or(DSCAT = 'END OF STUDY') as HAS_END_OF_STUDY
    from {{ ref('int_disposition') }}
    group by USUBJID
),

-- sdtmchecks check_ae_dup: the same event entered twice under two numbers.
duplicated as (
    select
        SUBJID,
        USUBJID,
        'ADVERSE EVENTS' as DOMAIN,
        'AE_DUPLICATE' as RULE,
        'AE ' || AESPID as RECORD_KEY,
        'AE ' || AESPID || ' (' || coalesce(AEDECOD, AETERM) || ', grade ' || coalesce(cast(AETOXGR as varchar), '-')
            || ', ' || coalesce(AESTDTC, '-') || ' to ' || coalesce(AEENDTC, 'ongoing') || ') repeats AE '
            || first_value(AESPID) over same_event || '; delete one of them' as MESSAGE,
        coalesce(AESTDT, AEENDT) as QUERY_DATE,
        row_number() over same_event as OCCURRENCE
    from events
    window same_event as (
        partition by USUBJID, AETERM, AEDECOD, AESTDTC, AEENDTC, AETOXGR order by AESPID
    )
    qualify count(*) over same_event > 1
),

-- sdtmchecks check_ae_aeout_aeendtc_nonfatal: a recovered event has an end date, an ongoing one none.
outcome_end_date as (
    select
        SUBJID,
        USUBJID,
        'ADVERSE EVENTS' as DOMAIN,
        'AE_OUTCOME_END_DATE' as RULE,
        'AE ' || AESPID as RECORD_KEY,
        'AE ' || AESPID || ' (' || coalesce(AEDECOD, AETERM) || ') has outcome ' || AEOUT
            || case when AEENDTC is null then ' but no end date' else ' but ends ' || AEENDTC end as MESSAGE,
        coalesce(AEENDT, AESTDT) as QUERY_DATE
    from events
    where (AEOUT like 'RECOVERED%' and AEENDTC is null)
       or (AEOUT in ('NOT RECOVERED', 'NOT RECOVERED/NOT RESOLVED', 'RECOVERING', 'RECOVERING/RESOLVING', 'UNKNOWN')
           and AEENDTC is not null)
),

-- sdtmchecks check_ae_aeout_aeendtc_aedthdtc: a fatal event ends on the death date.
fatal_end_not_death as (
    select
        events.SUBJID,
        events.USUBJID,
        'ADVERSE EVENTS' as DOMAIN,
        'FATAL_AE_END_NOT_DEATH' as RULE,
        'AE ' || events.AESPID as RECORD_KEY,
        'AE ' || events.AESPID || ' (' || coalesce(events.AEDECOD, events.AETERM) || ') is fatal and ends '
            || events.AEENDTC || ', but the patient died ' || death_dates.DEATH_DTC as MESSAGE,
        events.AEENDT as QUERY_DATE
    from events
    inner join death_dates using (USUBJID)
    where events.AEOUT = 'FATAL'
      and events.AEENDTC is not null
      -- compared at the precision both have (a death in `2024-03` agrees with `2024-03-14`)
      and left(events.AEENDTC, least(length(events.AEENDTC), length(death_dates.DEATH_DTC), 10))
          <> left(death_dates.DEATH_DTC, least(length(events.AEENDTC), length(death_dates.DEATH_DTC), 10))
),

-- sdtmchecks check_ae_withdr_ds_discon: lenvatinib withdrawn for an AE, but no end of treatment.
withdrawn_without_end_of_treatment as (
    select
        events.SUBJID,
        events.USUBJID,
        'ADVERSE EVENTS' as DOMAIN,
        'AE_WITHDRAWN_NO_END_OF_TREATMENT' as RULE,
        'AE ' || events.AESPID as RECORD_KEY,
        'AE ' || events.AESPID || ' (' || coalesce(events.AEDECOD, events.AETERM)
            || ') led to lenvatinib being withdrawn, but there is no end-of-treatment record' as MESSAGE,
        coalesce(events.AESTDT, events.AEENDT) as QUERY_DATE
    from events
    left join disposition using (USUBJID)
    where events.AEACN_LEN = 'DRUG WITHDRAWN'
      and not coalesce(disposition.HAS_END_OF_TREATMENT or disposition.HAS_END_OF_STUDY, false)
),

-- sdtmchecks check_ae_death_ds_discon: a fatal event, but the patient has no end of study.
fatal_without_end_of_study as (
    select
        events.SUBJID,
        events.USUBJID,
        'ADVERSE EVENTS' as DOMAIN,
        'FATAL_AE_NO_END_OF_STUDY' as RULE,
        'AE ' || events.AESPID as RECORD_KEY,
        'AE ' || events.AESPID || ' (' || coalesce(events.AEDECOD, events.AETERM) || ') is fatal (grade '
            || coalesce(cast(events.AETOXGR as varchar), '-') || ', outcome ' || coalesce(events.AEOUT, '-')
            || '), but there is no end-of-study record' as MESSAGE,
        coalesce(events.AEENDT, events.AESTDT) as QUERY_DATE
    from events
    left join disposition using (USUBJID)
    where (events.AETOXGR = 5 or events.AEOUT = 'FATAL')
      and not coalesce(disposition.HAS_END_OF_STUDY, false)
),

-- sdtmchecks check_ae_aedecod: every event is coded to a MedDRA preferred term (EDC: required at
-- ingest; SDTM: AEDECOD may be empty).
decod_missing as (
    select
        SUBJID,
        USUBJID,
        'ADVERSE EVENTS' as DOMAIN,
        'AE_DECOD_MISSING' as RULE,
        'AE ' || AESPID as RECORD_KEY,
        'AE ' || AESPID || ' (' || coalesce(AETERM, '-') || ') has no preferred term (AEDECOD); code it' as MESSAGE,
        coalesce(AESTDT, AEENDT) as QUERY_DATE
    from events
    where AEDECOD is null or trim(AEDECOD) = ''
)

select SUBJID, USUBJID, DOMAIN, RULE, RECORD_KEY, MESSAGE, QUERY_DATE from duplicated where OCCURRENCE > 1
union all
select * from decod_missing
union all
select * from outcome_end_date
union all
select * from fatal_end_not_death
union all
select * from withdrawn_without_end_of_treatment
union all
select * from fatal_without_end_of_study
