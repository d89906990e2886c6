{{ config(schema='quality', materialized='table') }}
-- Data queries on dates that contradict each other (SPEC section 4): an AE ending before it
-- started, activity recorded after death, death before enrolment. Never blocking.

with deaths as (
    select USUBJID, SUBJID, ENRLDT, DTHDT from {{ ref('adsl') }} where DTHDT is not null
),

-- Compare partial ISO 8601 dates at the precision both have (`2025-03` vs `2025-02-14`).
ae_end_before_start as (
    select
        SUBJID,
        USUBJID,
        'ADVERSE EVENTS' as DOMAIN,
        'AE_END_BEFORE_START' as RULE,
        'AE ' || AESPID as RECORD_KEY,
        'AE ' || AESPID || ' (' || AEDECOD || ') ends ' || AEENDTC || ', before its start ' || AESTDTC as MESSAGE,
        coalesce(AEENDT, AESTDT) as QUERY_DATE
    from {{ ref('int_adverse_events') }}
    where AEENDTC is not null
      and left(AEENDTC, least(length(AESTDTC), length(AEENDTC))) < left(AESTDTC, least(length(AESTDTC), length(AEENDTC)))
),

activity as (
    select USUBJID, 'EXPOSURE' as DOMAIN, 'dose of ' || lower(EXTRT) as WHAT, EXSTDT as ACTIVITY_DT from {{ ref('int_exposure') }}
    union all
    select USUBJID, 'IMAGING', 'tumour scan', SCAN_DT from {{ ref('int_tumour_scans') }}
    union all
    select USUBJID, 'ADVERSE EVENTS', 'adverse event ' || AESPID || ' start', AESTDT from {{ ref('int_adverse_events') }}
    union all
    select USUBJID, 'SURVIVAL', 'contact with status alive', CONTACT_DT from {{ ref('int_survival_contacts') }} where STATUS = 'ALIVE'
),

activity_after_death as (
    select
        deaths.SUBJID,
        deaths.USUBJID,
        activity.DOMAIN,
        'ACTIVITY_AFTER_DEATH' as RULE,
        activity.WHAT || ' ' || strftime(activity.ACTIVITY_DT, '%Y-%m-%d') as RECORD_KEY,
        upper(left(activity.WHAT, 1)) || substr(activity.WHAT, 2) || ' on ' || upper(strftime(activity.ACTIVITY_DT, '%d %b %Y'))
            || ' is after the death date ' || upper(strftime(deaths.DTHDT, '%d %b %Y')) as MESSAGE,
        activity.ACTIVITY_DT as QUERY_DATE
    from deaths
    inner join activity using (USUBJID)
    where activity.ACTIVITY_DT > deaths.DTHDT
),

death_before_enrolment as (
    select
        SUBJID,
        USUBJID,
        'SURVIVAL' as DOMAIN,
        'DEATH_BEFORE_ENROLMENT' as RULE,
        'death' as RECORD_KEY,
        'Death date ' || upper(strftime(DTHDT, '%d %b %Y')) || ' is before enrolment on ' || upper(strftime(ENRLDT, '%d %b %Y')) as MESSAGE,
        DTHDT as QUERY_DATE
    from deaths
    where DTHDT < ENRLDT
)

select * from ae_end_before_start
union all
select * from activity_after_death
union all
select * from death_before_enrolment
