{#-
    The first new anticancer therapy of each FAS patient that ends the assessments that count
    (SPEC 5, "Which assessments count") and censors PFS and DOR (CNSR 3): the earliest therapy
    dated after STARTDT and on or before the cut-off (ADSL's DCUTDT). A therapy dated on or
    before STARTDT is not new (the form records therapy after study treatment, so such a date is
    a data error) and is ignored. One row per patient who has one.
-#}

with

-- Step 1. FAS patients with their analysis start and cut-off.
patients as (
    select USUBJID, STARTDT, DCUTDT
    from {{ ref('int_subject_level') }}
    where FASFL = 'Y'
),

-- Step 2. Therapies after the start of study treatment, on or before the cut-off.
new_therapies as (
    select therapy.USUBJID, therapy.CTSEQ, therapy.CTTYPE, therapy.CTNAME, therapy.CTSTDT
    from {{ ref('int_new_therapy') }} as therapy
    inner join patients using (USUBJID)
    where therapy.CTSTDT > patients.STARTDT
      and therapy.CTSTDT <= patients.DCUTDT
)

-- Step 3. The first one (the lowest CTSEQ when two start on the same day).
select
    USUBJID,
    CTSTDT as NEWTHDT,
    CTSEQ,
    CTTYPE,
    CTNAME
from new_therapies
qualify row_number() over (partition by USUBJID order by CTSTDT, CTSEQ) = 1
order by USUBJID
