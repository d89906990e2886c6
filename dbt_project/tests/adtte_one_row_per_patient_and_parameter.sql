-- ADTTE: one PFS and one OS row per FAS patient, one DOR and one TTR row per confirmed
-- responder (ADRS CRSP = Y) and none for the others (SPEC 5). var dor_start = first_response:
-- DOR for every responder (ADRS RSP = Y). Fails with the patient, the
-- parameter and the number of rows found against the number expected.
-- meta.dagster.ref: the Dagster asset check belongs to adtte (the test also reads ADSL).
{{ config(meta={'dagster': {'ref': {'name': 'adtte'}}}) }}

with

fas as (
    select
        adsl.USUBJID,
        coalesce(crsp.AVALC = 'Y', false) as IS_CONFIRMED_RESPONDER,
        coalesce(rsp.AVALC = 'Y', false) as IS_RESPONDER
    from {{ ref('adsl') }} as adsl
    left join {{ ref('adrs') }} as crsp
        on crsp.USUBJID = adsl.USUBJID and crsp.PARAMCD = 'CRSP'
    left join {{ ref('adrs') }} as rsp
        on rsp.USUBJID = adsl.USUBJID and rsp.PARAMCD = 'RSP'
    where adsl.FASFL = 'Y'
),

parameters (PARAMCD, RESPONDERS_ONLY) as (
    values ('PFS', null), ('OS', null),
        ('DOR', '{{ "RSP" if var("dor_start") == "first_response" else "CRSP" }}'), ('TTR', 'CRSP')
),

rows_found as (
    select
        fas.USUBJID,
        parameters.PARAMCD,
        count(adtte.USUBJID) as N_ROWS,
        case
            when parameters.RESPONDERS_ONLY = 'CRSP' and not fas.IS_CONFIRMED_RESPONDER then 0
            when parameters.RESPONDERS_ONLY = 'RSP' and not fas.IS_RESPONDER then 0
            else 1
        end as N_EXPECTED
    from fas
    cross join parameters
    left join {{ ref('adtte') }} as adtte
        on adtte.USUBJID = fas.USUBJID and adtte.PARAMCD = parameters.PARAMCD
    group by all
)

select *
from rows_found
where N_ROWS <> N_EXPECTED
