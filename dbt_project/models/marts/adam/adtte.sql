{#-
    ADTTE: time-to-event analysis dataset (BDS-TTE). SPEC section 5, "Time to event": PFS and
    OS for every FAS patient, DOR and TTR for confirmed responders (ADRS CRSP = Y). AVAL is in
    days, ADT - STARTDT + 1; CNSR 0 is an event, each censoring reason has its own code
    (per parameter) and CNSDTDSC. Each CTE is one parameter, in the order of the SAP.
    Nothing dated after the cut-off is used: death and last known alive come from ADSL, tumour
    assessments from those that count (int_response_counted).
-#}

{%- set dor_start = var('dor_start') -%}
{%- if dor_start not in ('confirmed', 'first_response') -%}
    {{ exceptions.raise_compiler_error(
        "var dor_start must be 'confirmed' or 'first_response', got '" ~ dor_start ~ "'") }}
{%- endif %}

with

-- Step 1. FAS patients (efficacy is analysed on FAS, by planned arm).
patients as (
    select STUDYID, USUBJID, SUBJID, TRT01P, TRT01PN, STARTDT, DTHDT, DTHDTF, LSTALVDT
    from {{ ref('adsl') }}
    where FASFL = 'Y'
),

-- Step 2. PFS: first PD or death, or the censoring that replaces it (int_tte_progression:
-- codes 1 to 5 checked in the SAP's order).
progression_free_survival as (
    select
        USUBJID, 'PFS' as PARAMCD, STARTDT, ADT, ADTF, CNSR, EVNTDESC, CNSDTDSC,
        SRCDOM, SRCVAR, SRCSEQ
    from {{ ref('int_tte_progression') }}
),

-- Step 3. OS: death on or before the cut-off is the event; otherwise censored (1) at the last
-- known alive date (ADSL LSTALVDT, itself on or before the cut-off), with the record it came
-- from (int_alive_dates; the first by domain, variable and sequence when several share it).
last_alive_source as (
    select alive.USUBJID, alive.SRCDOM, alive.SRCVAR, alive.SRCSEQ
    from {{ ref('int_alive_dates') }} as alive
    inner join patients
        on patients.USUBJID = alive.USUBJID
       and patients.LSTALVDT = alive.ALIVE_DT
    qualify row_number() over (
        partition by alive.USUBJID order by alive.SRCDOM, alive.SRCVAR, alive.SRCSEQ
    ) = 1
),

overall_survival as (
    select
        patients.USUBJID,
        'OS' as PARAMCD,
        patients.STARTDT,
        greatest(
            coalesce(patients.DTHDT, patients.LSTALVDT, patients.STARTDT), patients.STARTDT
        ) as ADT,
        patients.DTHDTF as ADTF,
        case when patients.DTHDT is not null then 0 else 1 end as CNSR,
        case when patients.DTHDT is not null then 'DEATH' end as EVNTDESC,
        case when patients.DTHDT is null then 'LAST KNOWN ALIVE' end as CNSDTDSC,
        case
            when patients.DTHDT is not null then 'ADSL'
            else coalesce(last_alive_source.SRCDOM, 'ADSL')
        end as SRCDOM,
        case
            when patients.DTHDT is not null then 'DTHDT'
            when last_alive_source.USUBJID is not null then last_alive_source.SRCVAR
            else 'LSTALVDT'
        end as SRCVAR,
        case when patients.DTHDT is null then last_alive_source.SRCSEQ end as SRCSEQ
    from patients
    left join last_alive_source using (USUBJID)
),

-- Step 4. Confirmed responders and the start of their response: the first response of the
-- confirmed sequence (int_response_best CRSPDT; set exactly when ADRS CRSP = Y).
confirmed_responders as (
    select
        best.USUBJID,
        best.CRSPDT,
        response.SRCDOM,
        response.SRCVAR,
        response.SRCSEQ
    from {{ ref('int_response_best') }} as best
    inner join {{ ref('int_response_counted') }} as response
        on response.USUBJID = best.USUBJID
       and response.ADT = best.CRSPDT
    where best.CRSPDT is not null
),

-- Step 5. DOR: from the start of the response to PD or death, censored as for PFS (the same
-- outcome, codes and dates; codes 1 and 2 cannot occur for a responder).
--   var dor_start = confirmed: confirmed responders, from the first response of the confirmed
--   sequence. first_response (admiralonco RSD): every responder (BOR CR/PR, unconfirmed), from
--   the first CR or PR.
{%- if dor_start == 'first_response' %}
response_starts as (
    select USUBJID, RSPDT as RESPONSE_START_DT
    from {{ ref('int_response_best') }}
    where RSPDT is not null
),
{%- else %}
response_starts as (
    select USUBJID, CRSPDT as RESPONSE_START_DT
    from confirmed_responders
),
{%- endif %}

duration_of_response as (
    select
        pfs.USUBJID, 'DOR' as PARAMCD,
        responders.RESPONSE_START_DT as STARTDT,
        greatest(pfs.ADT, responders.RESPONSE_START_DT) as ADT,
        pfs.ADTF, pfs.CNSR, pfs.EVNTDESC, pfs.CNSDTDSC, pfs.SRCDOM, pfs.SRCVAR, pfs.SRCSEQ
    from progression_free_survival as pfs
    inner join response_starts as responders using (USUBJID)
),

-- Step 6. TTR: from the start to the first response of the confirmed sequence; all events.
time_to_response as (
    select
        patients.USUBJID, 'TTR' as PARAMCD,
        patients.STARTDT,
        responders.CRSPDT as ADT,
        cast(null as varchar) as ADTF,
        0 as CNSR,
        'CONFIRMED RESPONSE' as EVNTDESC,
        cast(null as varchar) as CNSDTDSC,
        responders.SRCDOM, responders.SRCVAR, responders.SRCSEQ
    from patients
    inner join confirmed_responders as responders using (USUBJID)
),

parameter_rows as (
    select * from progression_free_survival
    union all by name select * from overall_survival
    union all by name select * from duration_of_response
    union all by name select * from time_to_response
),

parameters (PARAMCD, PARAMN, PARAM) as (
    values
        ('PFS', 1, 'Progression-Free Survival (Days)'),
        ('OS', 2, 'Overall Survival (Days)'),
        ('DOR', 3, 'Duration of Confirmed Response (Days)'),
        ('TTR', 4, 'Time to Confirmed Response (Days)')
)

-- ADTTE: one row per patient and parameter.
select
    patients.STUDYID,
    patients.USUBJID,
    patients.SUBJID,
    patients.TRT01P,
    patients.TRT01PN,
    parameter_rows.PARAMCD,
    parameters.PARAMN,
    parameters.PARAM,
    parameter_rows.STARTDT,
    parameter_rows.ADT,
    parameter_rows.ADTF,
    cast(parameter_rows.ADT - parameter_rows.STARTDT + 1 as integer) as AVAL,
    'DAYS' as AVALU,
    cast(parameter_rows.CNSR as integer) as CNSR,
    parameter_rows.EVNTDESC,
    parameter_rows.CNSDTDSC,
    parameter_rows.SRCDOM,
    parameter_rows.SRCVAR,
    cast(parameter_rows.SRCSEQ as integer) as SRCSEQ
from parameter_rows
inner join patients using (USUBJID)
inner join parameters using (PARAMCD)
{{ key_order() }}
