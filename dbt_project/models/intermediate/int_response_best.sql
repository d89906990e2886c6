{#-
    Best overall response per FAS patient, without (BOR) and with (CBOR) confirmation, from the
    assessments that count (int_response_counted). SPEC 5, "Best overall response". Set-based:
    confirmation is a self-join of the pairs (first response i, confirming assessment j) of each
    patient, with running counts over the assessments in date order telling what lies between
    them; no per-patient loop.
-#}
{%- set confirm_min_days = var('confirm_min_days') -%}
{%- set max_ne_between = var('max_ne_between') -%}
{%- set sd_min_days = var('sd_min_days') -%}
{#- bor_requires_baseline = false: no baseline is not a rule of its own (admiralonco). -#}
{%- set no_baseline = 'patients.BASEDT is null' if var('bor_requires_baseline') else 'false' -%}
{#- Where admiralonco differs, a study parameter (dbt_project.yml; defaults keep SPEC 5):
    pr_confirmation_from_cr false: a PR confirmation starts only at a PR (admiralonco);
    accept_sd true: one SD tolerated inside a PR confirmation (admiralonco accept_sd);
    missing_as_ne true: no counted assessment gives NE, not MISSING (admiralonco missing_as_ne). -#}
{%- set pr_first_responses = "('CR', 'PR')" if var('pr_confirmation_from_cr') else "('PR')" -%}
{%- set max_sd_in_pr_confirmation = 1 if var('accept_sd') else 0 -%}
{%- set no_assessment = 'NE' if var('missing_as_ne') else 'MISSING' -%}

with

-- Step 1. FAS patients with their analysis start and baseline tumour assessment date.
patients as (
    select adsl.USUBJID, adsl.STARTDT, baseline.BASEDT
    from {{ ref('int_subject_level') }} as adsl
    left join {{ ref('int_tumour_baseline') }} as baseline using (USUBJID)
    where adsl.FASFL = 'Y'
),

-- Step 2. Counted assessments in date order, with running counts up to and including each
-- one: NE assessments, SD assessments, assessments other than CR/NE, assessments other than
-- CR/PR/NE/SD, the number of the last PR so far and of the next CR after it.
assessments as (
    select
        USUBJID,
        ASSESSNUM,
        ADT,
        AVALC,
        sum(case when AVALC = 'NE' then 1 else 0 end) over running as NE_RUNNING,
        sum(case when AVALC = 'SD' then 1 else 0 end) over running as SD_RUNNING,
        sum(case when AVALC not in ('CR', 'NE') then 1 else 0 end) over running
            as NOT_CR_NE_RUNNING,
        sum(case when AVALC not in ('CR', 'PR', 'NE', 'SD') then 1 else 0 end) over running
            as NOT_CR_PR_NE_SD_RUNNING,
        max(case when AVALC = 'PR' then ASSESSNUM end) over running as LAST_PR_NUM,
        min(case when AVALC = 'CR' then ASSESSNUM end) over (
            partition by USUBJID order by ASSESSNUM
            rows between 1 following and unbounded following
        ) as NEXT_CR_NUM
    from {{ ref('int_response_counted') }}
    window running as (
        partition by USUBJID order by ASSESSNUM
        rows between unbounded preceding and current row
    )
),

-- Step 3. Candidate confirmations: a response (CR or PR) i followed by a CR or PR j at least
-- confirm_min_days ({{ confirm_min_days }}) later. Differences of the running counts at j and
-- at i describe the assessments after i up to j (j itself is CR or PR, so it adds nothing to
-- the NE and "other" counts).
--   PR_AFTER_CR: some PR after i comes after a CR after i (the first CR after i precedes the
--   last PR up to j). The first response i itself is read as a PR when it is an unconfirmed CR
--   (RECIST 1.1: a CR followed by PR-level disease was a PR), unless var
--   pr_confirmation_from_cr is false (admiralonco: only a PR starts a PR confirmation).
confirmation_pairs as (
    select
        first_response.USUBJID,
        first_response.ADT as FIRST_ADT,
        first_response.AVALC as FIRST_AVALC,
        confirming.AVALC as CONFIRMING_AVALC,
        confirming.NE_RUNNING - first_response.NE_RUNNING as NE_BETWEEN,
        confirming.SD_RUNNING - first_response.SD_RUNNING as SD_BETWEEN,
        confirming.NOT_CR_NE_RUNNING - first_response.NOT_CR_NE_RUNNING as NOT_CR_NE_BETWEEN,
        confirming.NOT_CR_PR_NE_SD_RUNNING - first_response.NOT_CR_PR_NE_SD_RUNNING
            as NOT_CR_PR_NE_SD_BETWEEN,
        coalesce(first_response.NEXT_CR_NUM < confirming.LAST_PR_NUM, false) as PR_AFTER_CR
    from assessments as first_response
    inner join assessments as confirming
        on confirming.USUBJID = first_response.USUBJID
       and confirming.ASSESSNUM > first_response.ASSESSNUM
       and confirming.ADT - first_response.ADT >= {{ confirm_min_days }}
    where first_response.AVALC in ('CR', 'PR')
      and confirming.AVALC in ('CR', 'PR')
),

-- Step 4. Confirmed responses: the earliest first response of a confirmed sequence.
--   CR: a CR confirmed by a CR, everything in between CR or NE, at most max_ne_between
--   ({{ max_ne_between }}) NE.
--   PR: a PR (or unconfirmed CR, var pr_confirmation_from_cr) confirmed by a CR or PR,
--   everything in between CR, PR or NE, at most max_ne_between NE, at most
--   {{ max_sd_in_pr_confirmation }} SD (var accept_sd), and no PR after a CR.
confirmed as (
    select
        USUBJID,
        min(FIRST_ADT) filter (
            where FIRST_AVALC = 'CR' and CONFIRMING_AVALC = 'CR'
              and NOT_CR_NE_BETWEEN = 0
              and NE_BETWEEN <= {{ max_ne_between }}
        ) as CONFIRMED_CR_DT,
        min(FIRST_ADT) filter (
            where FIRST_AVALC in {{ pr_first_responses }}
              and NOT_CR_PR_NE_SD_BETWEEN = 0
              and SD_BETWEEN <= {{ max_sd_in_pr_confirmation }}
              and NE_BETWEEN <= {{ max_ne_between }}
              and not PR_AFTER_CR
        ) as CONFIRMED_PR_DT
    from confirmation_pairs
    group by USUBJID
),

-- Step 5. First date of each unconfirmed category.
--   SD_ELIGIBLE: a CR, PR or SD at least sd_min_days ({{ sd_min_days }}) after the start
--   (ADT - STARTDT); NON-CR/NON-PD (patients without targets) under the same day rule.
first_dates as (
    select
        counted.USUBJID,
        min(counted.ADT) filter (where counted.AVALC = 'CR') as FIRST_CR_DT,
        min(counted.ADT) filter (where counted.AVALC = 'PR') as FIRST_PR_DT,
        min(counted.ADT) filter (
            where counted.AVALC in ('CR', 'PR', 'SD')
              and counted.ADT - counted.STARTDT >= {{ sd_min_days }}
        ) as FIRST_SD_ELIGIBLE_DT,
        min(counted.ADT) filter (
            where counted.AVALC = 'NON-CR/NON-PD'
              and counted.ADT - counted.STARTDT >= {{ sd_min_days }}
        ) as FIRST_NON_CR_NON_PD_DT,
        min(counted.ADT) filter (where counted.AVALC = 'PD') as FIRST_PD_DT,
        min(counted.ADT) as FIRST_ASSESSMENT_DT,
        count(*) as ASSESSMENTS
    from {{ ref('int_response_counted') }} as counted
    group by counted.USUBJID
),

-- Step 6. BOR and CBOR, the first rule that holds, in this order. No baseline tumour
-- assessment: NE (a non-responder) whatever the scans show (var bor_requires_baseline; when
-- false, no baseline is not a rule of its own). No counted assessment: {{ no_assessment }}
-- (var missing_as_ne).
best_response as (
    select
        patients.USUBJID,
        patients.STARTDT,
        patients.BASEDT,
        cast(coalesce(first_dates.ASSESSMENTS, 0) as integer) as ASSESSMENTS,
        case
            when {{ no_baseline }} then 'NE'
            when first_dates.FIRST_CR_DT is not null then 'CR'
            when first_dates.FIRST_PR_DT is not null then 'PR'
            when first_dates.FIRST_SD_ELIGIBLE_DT is not null then 'SD'
            when first_dates.FIRST_NON_CR_NON_PD_DT is not null then 'NON-CR/NON-PD'
            when first_dates.FIRST_PD_DT is not null then 'PD'
            when first_dates.FIRST_ASSESSMENT_DT is not null then 'NE'
            else '{{ no_assessment }}'
        end as BOR,
        case
            when {{ no_baseline }} then null
            else coalesce(
                first_dates.FIRST_CR_DT, first_dates.FIRST_PR_DT, first_dates.FIRST_SD_ELIGIBLE_DT,
                first_dates.FIRST_NON_CR_NON_PD_DT, first_dates.FIRST_PD_DT,
                first_dates.FIRST_ASSESSMENT_DT)
        end as BORDT,
        -- First response (RSP, admiralonco derive_param_response): the first CR or PR, which
        -- need not be the assessment giving BOR (PR then CR: RSP at the PR, BOR at the CR).
        case
            when not ({{ no_baseline }}) then least(first_dates.FIRST_CR_DT, first_dates.FIRST_PR_DT)
        end as RSPDT,
        case
            when {{ no_baseline }} then 'NE'
            when confirmed.CONFIRMED_CR_DT is not null then 'CR'
            when confirmed.CONFIRMED_PR_DT is not null then 'PR'
            when first_dates.FIRST_SD_ELIGIBLE_DT is not null then 'SD'
            when first_dates.FIRST_NON_CR_NON_PD_DT is not null then 'NON-CR/NON-PD'
            when first_dates.FIRST_PD_DT is not null then 'PD'
            when first_dates.FIRST_ASSESSMENT_DT is not null then 'NE'
            else '{{ no_assessment }}'
        end as CBOR,
        case
            when {{ no_baseline }} then null
            else coalesce(
                confirmed.CONFIRMED_CR_DT, confirmed.CONFIRMED_PR_DT,
                first_dates.FIRST_SD_ELIGIBLE_DT, first_dates.FIRST_NON_CR_NON_PD_DT,
                first_dates.FIRST_PD_DT, first_dates.FIRST_ASSESSMENT_DT)
        end as CBORDT,
        -- Start of the confirmed response (DOR origin, TTR event): the first response of the
        -- earliest confirmed sequence, CR or PR (with var pr_confirmation_from_cr a confirmed CR
        -- sequence is also a PR one; without it only the least of the two says which came first).
        case
            when not ({{ no_baseline }})
                then least(confirmed.CONFIRMED_CR_DT, confirmed.CONFIRMED_PR_DT)
        end as CRSPDT
    from patients
    left join first_dates using (USUBJID)
    left join confirmed using (USUBJID)
)

select *
from best_response
order by USUBJID
