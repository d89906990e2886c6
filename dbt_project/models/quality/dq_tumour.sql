{{ config(schema='quality', materialized='table') }}
{#-
    Data queries on the imaging data (SPEC section 4), never blocking: baseline target selection
    (more than 5 targets, more than 2 in one organ, a target without a viable diameter), no
    baseline scan, a baseline target without a measurement at a follow-up scan, and the
    computed mRECIST response differing from the reader's. Dates as in the imaging files (ISO).
    Nothing dated after the cut-off.
-#}
{%- set cutoff = data_cutoff() -%}
{%- set window_days = var('baseline_window_days') -%}

with

baseline_targets as (
    select *
    from {{ ref('int_tumour_baseline_lesions') }}
    where LESION_CLASS = 'TARGET'
),

-- mRECIST: at most 5 target lesions.
too_many_targets as (
    select
        SUBJID,
        USUBJID,
        'IMAGING' as DOMAIN,
        'TARGETS_OVER_5' as RULE,
        'baseline scan' as RECORD_KEY,
        'Baseline scan ' || strftime(BASEDT, '%Y-%m-%d') || ': ' || count(*) || ' target lesions ('
            || string_agg(LESION_ID, ', ' order by LESION_ID) || '); mRECIST allows at most 5' as MESSAGE,
        BASEDT as QUERY_DATE
    from baseline_targets
    group by SUBJID, USUBJID, BASEDT
    having count(*) > 5
),

-- mRECIST: at most 2 target lesions per organ.
too_many_targets_in_organ as (
    select
        SUBJID,
        USUBJID,
        'IMAGING' as DOMAIN,
        'TARGETS_PER_ORGAN_OVER_2' as RULE,
        'baseline scan ' || ORGAN as RECORD_KEY,
        'Baseline scan ' || strftime(BASEDT, '%Y-%m-%d') || ': ' || count(*) || ' target lesions in '
            || ORGAN || ' (' || string_agg(LESION_ID, ', ' order by LESION_ID)
            || '); mRECIST allows at most 2 per organ' as MESSAGE,
        BASEDT as QUERY_DATE
    from baseline_targets
    group by SUBJID, USUBJID, BASEDT, ORGAN
    having count(*) > 2
),

-- A target must be measured at baseline.
baseline_target_not_measured as (
    select
        SUBJID,
        USUBJID,
        'IMAGING' as DOMAIN,
        'BASELINE_TARGET_NOT_MEASURED' as RULE,
        'baseline ' || LESION_ID as RECORD_KEY,
        'Baseline scan ' || strftime(BASEDT, '%Y-%m-%d') || ': target ' || LESION_ID || ' ('
            || ORGAN || coalesce(', ' || LOCATION, '') || ') has no viable diameter'
            || coalesce(' (NE_REASON ' || NE_REASON || ')', '') || '; it cannot be followed' as MESSAGE,
        BASEDT as QUERY_DATE
    from baseline_targets
    where not IS_MEASURED
),

-- A patient with post-baseline scans but no scan in the baseline window: every response is NE.
scans_before_start as (
    select lesions.USUBJID, max(lesions.SCAN_DT) as LAST_SCAN_BEFORE_START
    from {{ ref('int_tumour_lesions') }} as lesions
    inner join {{ ref('int_tumour_baseline') }} as baseline using (USUBJID)
    where lesions.SCAN_DT <= baseline.STARTDT
    group by lesions.USUBJID
),

no_baseline_scan as (
    select
        baseline.SUBJID,
        baseline.USUBJID,
        'IMAGING' as DOMAIN,
        'NO_BASELINE_SCAN' as RULE,
        'baseline scan' as RECORD_KEY,
        'No baseline scan on or up to {{ window_days }} days before the start of treatment on '
            || strftime(baseline.STARTDT, '%Y-%m-%d')
            || coalesce('; the last earlier scan is ' || strftime(scans_before_start.LAST_SCAN_BEFORE_START, '%Y-%m-%d')
                        || ' (' || (baseline.STARTDT - scans_before_start.LAST_SCAN_BEFORE_START) || ' days before)', '')
            || '; every timepoint response is NE' as MESSAGE,
        coalesce(scans_before_start.LAST_SCAN_BEFORE_START, baseline.STARTDT) as QUERY_DATE
    from {{ ref('int_tumour_baseline') }} as baseline
    left join scans_before_start using (USUBJID)
    where baseline.BASEDT is null
      and exists (
          select 1
          from {{ ref('int_overall_response') }} as response
          where response.USUBJID = baseline.USUBJID
            and response.ADT <= {{ cutoff }}
      )
),

-- Every baseline target is measured at every follow-up scan (NE_REASON explains a gap; a
-- missing record or an empty value without a reason does not).
target_missing_at_followup as (
    select
        SUBJID,
        USUBJID,
        'IMAGING' as DOMAIN,
        'TARGET_MISSING' as RULE,
        strftime(SCAN_DT, '%Y-%m-%d') || ' ' || LESION_ID as RECORD_KEY,
        'Scan ' || strftime(SCAN_DT, '%Y-%m-%d') || coalesce(' (' || VISIT || ')', '') || ': baseline target '
            || LESION_ID || ' (' || ORGAN || coalesce(', ' || LOCATION, '') || ') '
            || case
                   when MEASUREMENT_STATUS = 'MISSING' then 'has no record'
                   else 'has no viable diameter and no NE_REASON'
               end
            || '; the target response is NE' as MESSAGE,
        SCAN_DT as QUERY_DATE
    from {{ ref('int_target_measurements') }}
    where ABLFL is null
      and MEASUREMENT_STATUS in ('MISSING', 'NOT MEASURED')
      and SCAN_DT <= {{ cutoff }}
),

-- The computed mRECIST response and the reader's verdict agree.
response_differs as (
    select
        SUBJID,
        USUBJID,
        'IMAGING' as DOMAIN,
        'RESPONSE_DIFFERS' as RULE,
        strftime(ADT, '%Y-%m-%d') as RECORD_KEY,
        'Scan ' || strftime(ADT, '%Y-%m-%d') || coalesce(' (' || AVISIT || ')', '')
            || ': mRECIST response computed from the lesions is ' || OVR_COMPUTED
            || ' (targets ' || coalesce(TRGRESP, 'none') || ', non-targets ' || coalesce(NTRGRESP, '-')
            || ', new lesion ' || coalesce(NEWLESION, '-') || '), the reader''s is ' || OVR_READER
            -- SDTM RS carries the overall response only: the components show as '-'.
            || ' (targets ' || coalesce(READER_TARGET, '-') || ', non-targets ' || coalesce(READER_NONTARGET, '-')
            || ', new lesion ' || coalesce(READER_NEW, '-') || ')' as MESSAGE,
        ADT as QUERY_DATE
    from {{ ref('response_discrepancies') }}
)

select * from too_many_targets
union all
select * from too_many_targets_in_organ
union all
select * from baseline_target_not_measured
union all
select * from no_baseline_scan
union all
select * from target_missing_at_followup
union all
select * from response_differs
