{{ config(schema='quality', materialized='table') }}
-- Data queries on adverse events (SPEC section 4): grade and outcome that contradict each other,
-- a fatal AE of a patient without a recorded death. Never blocking.

with grade_outcome as (
    select
        SUBJID,
        USUBJID,
        'ADVERSE EVENTS' as DOMAIN,
        'AE_GRADE_OUTCOME' as RULE,
        'AE ' || AESPID as RECORD_KEY,
        'AE ' || AESPID || ' (' || AEDECOD || ') is grade ' || AETOXGR || ' with outcome ' || AEOUT
            || '; grade 5 and outcome FATAL go together' as MESSAGE,
        coalesce(AEENDT, AESTDT) as QUERY_DATE
    from {{ ref('int_adverse_events') }}
    where (AETOXGR = 5) <> (AEOUT = 'FATAL')
),

fatal_without_death as (
    select
        events.SUBJID,
        events.USUBJID,
        'ADVERSE EVENTS' as DOMAIN,
        'FATAL_AE_NO_DEATH' as RULE,
        'AE ' || events.AESPID as RECORD_KEY,
        'AE ' || events.AESPID || ' (' || events.AEDECOD || ') is fatal, but no death is recorded for the patient' as MESSAGE,
        coalesce(events.AEENDT, events.AESTDT) as QUERY_DATE
    from {{ ref('int_adverse_events') }} as events
    inner join {{ ref('adsl') }} as subjects using (USUBJID)
    where (events.AETOXGR = 5 or events.AEOUT = 'FATAL')
      and subjects.DTHDT is null
)

select * from grade_outcome
union all
select * from fatal_without_death
