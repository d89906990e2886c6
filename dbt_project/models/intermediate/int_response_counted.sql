{#-
    The tumour assessments that count for response and progression (SPEC 5, "Which assessments
    count"): post-baseline (after STARTDT), on or before the data cut-off, before the first new
    anticancer therapy (a scan on the day it starts is read as taken before it), and up to and
    including the first PD. One row per FAS patient and assessment date. Every response endpoint (ADRS) and PFS / DOR (ADTTE) read only these rows.
    The cut-off is ADSL's DCUTDT, so ADSL, ADRS and ADTTE share one cut-off.
    Two study parameters move the window as admiralonco does (defaults keep SPEC 5):
    var assessments_on_start_date counts an assessment on STARTDT itself (ADT >= TRTSDT / RANDDT),
    var assessments_after_pd keeps the assessments after the first PD (source_pd = NULL).
-#}
{%- set after_start = '>=' if var('assessments_on_start_date') else '>' -%}

with

-- Step 1. FAS patients with their analysis start and cut-off.
patients as (
    select USUBJID, STARTDT, DCUTDT
    from {{ ref('int_subject_level') }}
    where FASFL = 'Y'
),

-- Step 2. Post-baseline assessments (after STARTDT; on or after it with var
-- assessments_on_start_date) on or before the cut-off and the first new anticancer therapy
-- (int_response_new_therapy).
--   A scan on the day the new therapy starts counts: it is taken before the therapy is given
--   (and is usually why it is given).
before_cutoff_and_new_therapy as (
    select
        response.USUBJID,
        response.SUBJID,
        patients.STARTDT,
        response.ADT,
        response.AVISIT,
        response.AVALC,
        response.SRCDOM,
        response.SRCVAR,
        response.SRCSEQ
    from {{ ref('int_overall_response') }} as response
    inner join patients using (USUBJID)
    left join {{ ref('int_response_new_therapy') }} as first_new_therapy using (USUBJID)
    where response.ADT {{ after_start }} patients.STARTDT
      and response.ADT <= patients.DCUTDT
      and (first_new_therapy.NEWTHDT is null or response.ADT <= first_new_therapy.NEWTHDT)
),

-- Step 3. Up to and including the first PD: later assessments do not count (unless var
-- assessments_after_pd).
first_progression as (
    select USUBJID, min(ADT) as FIRST_PD_DT
    from before_cutoff_and_new_therapy
    where AVALC = 'PD'
    group by USUBJID
)

-- Counted assessments, numbered in date order (ASSESSNUM) for the confirmation step.
select
    counted.USUBJID,
    counted.SUBJID,
    counted.STARTDT,
    counted.ADT,
    {{ study_day('counted.ADT', 'counted.STARTDT') }} as ADY,
    cast(row_number() over (partition by counted.USUBJID order by counted.ADT) as integer) as ASSESSNUM,
    counted.AVISIT,
    counted.AVALC,
    -- Adequate assessment (PFS censoring, LSTA): an overall response other than NE.
    case when counted.AVALC <> 'NE' then 'Y' else 'N' end as ADEQFL,
    counted.SRCDOM,
    counted.SRCVAR,
    counted.SRCSEQ
from before_cutoff_and_new_therapy as counted
left join first_progression using (USUBJID)
where first_progression.FIRST_PD_DT is null
   or counted.ADT <= first_progression.FIRST_PD_DT
   or {{ 'true' if var('assessments_after_pd') else 'false' }}
order by counted.USUBJID, counted.ADT
