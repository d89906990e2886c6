{#-
    Start of treatment (SPEC section 5): one row per patient enrolled on or before the data
    cut-off, with the study treatment dates, the actual treatment (TRT01A) and the analysis start
    (STARTDT). ADSL, the baseline tumour assessment and every study day build on it. Only doses
    on or before the cut-off count, so this is the one intermediate model that reads the cut-off
    for dates: what started after it did not happen yet.
-#}
{%- set cutoff = data_cutoff() -%}
{%- set start_date = var('start_date') -%}
{%- if start_date not in ('treatment', 'randomisation') -%}
    {{ exceptions.raise_compiler_error(
        "var start_date must be 'treatment' or 'randomisation', got '" ~ start_date ~ "'") }}
{%- endif %}

with

-- Step 1. Enrolled patients: everyone enrolled on or before the cut-off.
enrolled as (
    select USUBJID, SUBJID, ARM, ENRLDT
    from {{ ref('int_subjects') }}
    where ENRLDT <= {{ cutoff }}
),

-- Step 2. Study treatment on or before the cut-off. Doses starting after the cut-off do not
-- count. A lenvatinib period still ongoing, or running past the cut-off, ends at the cut-off;
-- an end before the start (a data query) is read as a one-day period.
doses_within_cutoff as (
    select
        USUBJID,
        EXTRT,
        EXSTDT,
        {{ dose_end_at_cutoff('EXSTDT', 'EXENDT', cutoff) }} as EXENDT_AT_CUTOFF
    from {{ ref('int_exposure') }}
    where EXSTDT <= {{ cutoff }}
),

-- Step 3. First and last date of each study treatment.
--   SIRTDT: first SIRT procedure. LENSDT / LENEDT: first and last day of lenvatinib dosing.
treatment_dates as (
    select
        USUBJID,
        min(EXSTDT) filter (where EXTRT = 'SIRT') as SIRTDT,
        max(EXSTDT) filter (where EXTRT = 'SIRT') as LAST_SIRT_DT,
        min(EXSTDT) filter (where EXTRT = 'LENVATINIB') as LENSDT,
        max(EXENDT_AT_CUTOFF) filter (where EXTRT = 'LENVATINIB') as LENEDT,
        -- Any other study treatment (SDTM input of another study): first and last dosing day.
        min(EXSTDT) as FIRST_DOSE_DT,
        max(EXENDT_AT_CUTOFF) as LAST_DOSE_DT
    from doses_within_cutoff
    group by USUBJID
),

-- Step 4. Start of treatment (TRTSDT) and actual treatment (TRT01A).
--   LEN+SIRT: the SIRT date. LEN: the first lenvatinib dose.
--   LEN+SIRT without SIRT: the first lenvatinib dose, and analysed as LEN for safety.
--   Never treated: no TRTSDT, no TRT01A.
--   (A patient given only the other arm's treatment starts at it: a protocol deviation query.)
treatment as (
    select
        enrolled.USUBJID,
        treatment_dates.USUBJID is not null as IS_TREATED,
        treatment_dates.SIRTDT,
        treatment_dates.LENSDT,
        treatment_dates.LENEDT,
        case
            when enrolled.ARM = 'LEN+SIRT' then coalesce(treatment_dates.SIRTDT, treatment_dates.LENSDT)
            else coalesce(treatment_dates.LENSDT, treatment_dates.SIRTDT, treatment_dates.FIRST_DOSE_DT)
        end as TRTSDT,
        coalesce(
            greatest(treatment_dates.LENEDT, treatment_dates.LAST_SIRT_DT), treatment_dates.LAST_DOSE_DT
        ) as TRTEDT,
        case
            when treatment_dates.USUBJID is null then null
            when enrolled.ARM = 'LEN+SIRT' and treatment_dates.SIRTDT is null then 'LEN'
            else enrolled.ARM
        end as TRT01A
    from enrolled
    left join treatment_dates using (USUBJID)
)

-- Step 5. Analysis start (STARTDT): TRTSDT when treated, else the enrolment date.
--   Study day 1, the anchor of the baseline tumour assessment and every time-to-event origin.
--   var start_date = randomisation: the enrolment (randomisation) date, treated or not.
select
    enrolled.USUBJID,
    enrolled.SUBJID,
    enrolled.ARM,
    enrolled.ENRLDT,
    treatment.IS_TREATED,
    treatment.TRT01A,
    treatment.SIRTDT,
    treatment.LENSDT,
    treatment.LENEDT,
    treatment.TRTSDT,
    treatment.TRTEDT,
    {%- if start_date == 'randomisation' %}
    enrolled.ENRLDT as STARTDT
    {%- else %}
    coalesce(treatment.TRTSDT, enrolled.ENRLDT) as STARTDT
    {%- endif %}
from enrolled
inner join treatment using (USUBJID)
order by enrolled.USUBJID
