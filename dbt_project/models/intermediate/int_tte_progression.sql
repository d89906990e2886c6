{#-
    Progression or death, or the censoring that replaces it, per FAS patient: the PFS outcome
    of SPEC 5 ("Time to event"), which DOR reuses for confirmed responders. Reads the
    assessments that count (int_response_counted: on or before the cut-off, on or before the
    first new anticancer therapy, up to the first PD) and ADSL's death (on or before the cut-off,
    partial dates imputed there).
    An adequate assessment is a counted scan with an overall response other than NE. The
    allowed gap before an event (macro allowed_gap_days) is missed_assessments x the interval
    scheduled at the last adequate assessment + visit_window_days, the interval being read at
    the study day of that assessment (day 1, i.e. STARTDT, when there is none).
-#}
{%- set missed_assessments = optional_var('missed_assessments') -%}
{%- set pfs_censoring = var('pfs_censoring') -%}
{%- if pfs_censoring not in ('sap', 'last_assessment') -%}
    {{ exceptions.raise_compiler_error(
        "var pfs_censoring must be 'sap' or 'last_assessment', got '" ~ pfs_censoring ~ "'") }}
{%- endif %}

with

-- Step 1. FAS patients: start, baseline tumour assessment, death on or before the cut-off
-- (ADSL) and the first new anticancer therapy.
patients as (
    select
        adsl.USUBJID,
        adsl.STARTDT,
        baseline.BASEDT,
        adsl.DTHDT,
        adsl.DTHDTF,
        new_therapy.NEWTHDT
    from {{ ref('int_subject_level') }} as adsl
    left join {{ ref('int_tumour_baseline') }} as baseline using (USUBJID)
    left join {{ ref('int_response_new_therapy') }} as new_therapy using (USUBJID)
    where adsl.FASFL = 'Y'
),

-- Step 2. First progression: the counted PD (counting stops at the first one).
first_progression as (
    select USUBJID, ADT as PDDT, SRCDOM, SRCVAR, SRCSEQ
    from {{ ref('int_response_counted') }}
    where AVALC = 'PD'
    qualify row_number() over (partition by USUBJID order by ADT) = 1
),

-- Step 3. The event: first PD or death, whichever is first (PD when on the same day).
events as (
    select
        patients.*,
        first_progression.PDDT,
        least(first_progression.PDDT, patients.DTHDT) as EVNTDT,
        case
            when first_progression.PDDT <= coalesce(patients.DTHDT, first_progression.PDDT)
                then 'DISEASE PROGRESSION'
            when patients.DTHDT is not null then 'DEATH'
        end as EVENT
    from patients
    left join first_progression using (USUBJID)
),

-- Step 4. Adequate assessments: whether there is any (PD included), and the last one before
-- the event (before the PD itself; on or before a death) or, without an event, the last one.
adequate_assessments as (
    select
        events.USUBJID,
        count(*) as ADEQUATE_N,
        max(counted.ADT) filter (
            where counted.AVALC <> 'PD'
              and (events.EVNTDT is null or counted.ADT <= events.EVNTDT)
        ) as LADT
    from events
    inner join {{ ref('int_response_counted') }} as counted using (USUBJID)
    where counted.ADEQFL = 'Y'
    group by events.USUBJID
),

-- Step 4b. The last counted assessment of any result, NE included (pfs_censoring
-- last_assessment: admiralonco's LSTA).
last_assessment as (
    select USUBJID, max(ADT) as LAST_ANY_DT
    from {{ ref('int_response_counted') }}
    group by USUBJID
),

-- Step 5. The allowed gaps: from the start (censoring 2: a death within it is an event even
-- without an adequate assessment) and from the last adequate assessment (censoring 4).
gaps as (
    select
        events.*,
        coalesce(adequate_assessments.ADEQUATE_N, 0) as ADEQUATE_N,
        {%- if pfs_censoring == 'last_assessment' %}
        last_assessment.LAST_ANY_DT as LADT,
        {%- else %}
        adequate_assessments.LADT,
        {%- endif %}
        {{ allowed_gap_days('1') }} as START_ALLOWED_GAP_DAYS,
        {{ allowed_gap_days(study_day(
            'coalesce(adequate_assessments.LADT, events.STARTDT)', 'events.STARTDT')) }}
            as ALLOWED_GAP_DAYS
    from events
    left join adequate_assessments using (USUBJID)
    left join last_assessment using (USUBJID)
),

-- Step 6. Event or censoring, checked in this order (CNSR):
--   1 no baseline tumour assessment;
--   2 no adequate post-baseline assessment and no death within the allowed gap from the start
--     (a later death is then not an event);
--   3 a new anticancer therapy before the event (or without one);
--   4 the event after missed_assessments or more missed scans: event date - last adequate
--     assessment (STARTDT if none) > the allowed gap;
--   0 the event (PD or death);
--   5 alive without progression at the cut-off.
-- pfs_censoring = last_assessment (admiralonco): PD or death at any time is the event (0);
-- otherwise censored (1) at the last assessment of any result, STARTDT when there is none.
outcome as (
    select
        *,
        {%- if pfs_censoring == 'last_assessment' %}
        case when EVNTDT is not null then 0 else 1 end as CNSR
        {%- else %}
        case
            when BASEDT is null then 1
            when ADEQUATE_N = 0
             and not coalesce(DTHDT - STARTDT <= START_ALLOWED_GAP_DAYS, DTHDT is not null) then 2
            when NEWTHDT is not null and (EVNTDT is null or NEWTHDT < EVNTDT) then 3
            when coalesce(EVNTDT - coalesce(LADT, STARTDT) > ALLOWED_GAP_DAYS, false) then 4
            when EVNTDT is not null then 0
            else 5
        end as CNSR
        {%- endif %}
    from gaps
)

-- Step 7. Date, descriptions and source of each outcome. Censoring 1 and 2 at STARTDT; 3, 4
-- and 5 at the last adequate assessment (STARTDT if none). A date before STARTDT (a death
-- before the start: a data error) is set to STARTDT.
select
    outcome.USUBJID,
    outcome.STARTDT,
    outcome.BASEDT,
    outcome.NEWTHDT,
    outcome.PDDT,
    outcome.DTHDT,
    outcome.EVNTDT,
    outcome.LADT,
    outcome.CNSR,
    greatest(
        case
            when outcome.CNSR = 0 then outcome.EVNTDT
            {%- if pfs_censoring == 'sap' %}
            when outcome.CNSR in (1, 2) then outcome.STARTDT
            {%- endif %}
            else coalesce(outcome.LADT, outcome.STARTDT)
        end,
        outcome.STARTDT
    ) as ADT,
    case when outcome.CNSR = 0 and outcome.EVENT = 'DEATH' then outcome.DTHDTF end as ADTF,
    case when outcome.CNSR = 0 then outcome.EVENT end as EVNTDESC,
    {%- if pfs_censoring == 'last_assessment' %}
    case
        when outcome.CNSR = 1 and outcome.LADT is not null then 'LAST TUMOUR ASSESSMENT'
        when outcome.CNSR = 1 then 'NO TUMOUR ASSESSMENT: CENSORED AT START'
    end as CNSDTDSC,
    {%- else %}
    case outcome.CNSR
        when 1 then 'NO BASELINE TUMOUR ASSESSMENT'
        when 2 then 'NO ADEQUATE POST-BASELINE ASSESSMENT'
        when 3 then 'NEW ANTICANCER THERAPY BEFORE EVENT'
        when 4 then 'EVENT AFTER {{ missed_assessments }} OR MORE MISSED ASSESSMENTS'
        when 5 then 'ALIVE WITHOUT PROGRESSION AT CUT-OFF'
    end as CNSDTDSC,
    {%- endif %}
    case
        when outcome.CNSR = 0 and outcome.EVENT = 'DISEASE PROGRESSION' then first_progression.SRCDOM
        when outcome.CNSR = 0 then 'ADSL'
        when outcome.CNSR in ({{ '1' if pfs_censoring == 'last_assessment' else '3, 4, 5' }}) and outcome.LADT is not null then last_adequate.SRCDOM
        else 'ADSL'
    end as SRCDOM,
    case
        when outcome.CNSR = 0 and outcome.EVENT = 'DISEASE PROGRESSION' then first_progression.SRCVAR
        when outcome.CNSR = 0 then 'DTHDT'
        when outcome.CNSR in ({{ '1' if pfs_censoring == 'last_assessment' else '3, 4, 5' }}) and outcome.LADT is not null then last_adequate.SRCVAR
        else 'STARTDT'
    end as SRCVAR,
    case
        when outcome.CNSR = 0 and outcome.EVENT = 'DISEASE PROGRESSION' then first_progression.SRCSEQ
        when outcome.CNSR in ({{ '1' if pfs_censoring == 'last_assessment' else '3, 4, 5' }}) and outcome.LADT is not null then last_adequate.SRCSEQ
    end as SRCSEQ
from outcome
left join first_progression using (USUBJID)
left join {{ ref('int_response_counted') }} as last_adequate
    on last_adequate.USUBJID = outcome.USUBJID
   and last_adequate.ADT = outcome.LADT
order by outcome.USUBJID
