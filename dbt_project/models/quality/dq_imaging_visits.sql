{{ config(schema='quality', materialized='table') }}
{#-
    Data queries on scan dates and visits, after pharmaverse sdtmchecks (RS/TR/TU
    *_across_visit and *_visit_ordinal_error; docs/data_queries.md), on int_tumour_lesions,
    which either input layout feeds. Unscheduled visits are left out. Never blocking.
-#}

with scans as (
    select distinct
        USUBJID,
        SUBJID,
        SCAN_DT,
        VISIT,
        case
            when upper(VISIT) in ('BASELINE', 'SCREENING') then 0
            else try_cast(regexp_extract(upper(VISIT), '^WEEK ([0-9]+)$', 1) as integer)
        end as VISIT_WEEK
    from {{ ref('int_tumour_lesions') }}
    where SCAN_DT is not null and VISIT is not null
),

-- One scan date belongs to one visit.
date_across_visits as (
    select
        SUBJID,
        USUBJID,
        'IMAGING' as DOMAIN,
        'SCAN_DATE_ACROSS_VISITS' as RULE,
        strftime(SCAN_DT, '%Y-%m-%d') as RECORD_KEY,
        'Scan ' || strftime(SCAN_DT, '%Y-%m-%d') || ' is recorded under ' || count(*) || ' visits ('
            || string_agg(VISIT, ', ' order by VISIT) || ')' as MESSAGE,
        SCAN_DT as QUERY_DATE
    from scans
    where VISIT_WEEK is not null
    group by SUBJID, USUBJID, SCAN_DT
    having count(distinct VISIT) > 1
),

-- A later scheduled visit is dated after the one before it (an entry error otherwise).
ordered as (
    select
        *,
        lag(SCAN_DT) over (partition by USUBJID order by VISIT_WEEK, SCAN_DT) as PREVIOUS_DT,
        lag(VISIT) over (partition by USUBJID order by VISIT_WEEK, SCAN_DT) as PREVIOUS_VISIT,
        lag(VISIT_WEEK) over (partition by USUBJID order by VISIT_WEEK, SCAN_DT) as PREVIOUS_WEEK
    from scans
    where VISIT_WEEK is not null
),

visit_order as (
    select
        SUBJID,
        USUBJID,
        'IMAGING' as DOMAIN,
        'SCAN_VISIT_ORDER' as RULE,
        VISIT || ' ' || strftime(SCAN_DT, '%Y-%m-%d') as RECORD_KEY,
        VISIT || ' scan ' || strftime(SCAN_DT, '%Y-%m-%d') || ' is not after the ' || PREVIOUS_VISIT || ' scan '
            || strftime(PREVIOUS_DT, '%Y-%m-%d') || '; check the date or the visit' as MESSAGE,
        SCAN_DT as QUERY_DATE
    from ordered
    where VISIT_WEEK > PREVIOUS_WEEK and SCAN_DT <= PREVIOUS_DT
)

select * from date_across_visits
union all
select * from visit_order
