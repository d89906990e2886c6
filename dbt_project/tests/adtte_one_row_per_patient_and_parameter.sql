-- ADTTE: one PFS and one OS row per FAS patient, one DOR and one TTR row per confirmed
-- responder (ADRS CRSP = Y) and none for the others (SPEC 5). Fails with the patient, the
-- parameter and the number of rows found against the number expected.
-- meta.dagster.ref: the Dagster asset check belongs to adtte (the test also reads ADSL).
{{ config(meta={'dagster': {'ref': {'name': 'adtte'}}}) }}

with

fas as (
    select adsl.USUBJID, coalesce(crsp.AVALC = 'Y', false) as IS_CONFIRMED_RESPONDER
    from {{ ref('adsl') }} as adsl
    left join {{ ref('adrs') }} as crsp
        on crsp.USUBJID = adsl.USUBJID and crsp.PARAMCD = 'CRSP'
    where adsl.FASFL = 'Y'
),

parameters (PARAMCD, RESPONDERS_ONLY) as (
    values ('PFS', false), ('OS', false), ('DOR', true), ('TTR', true)
),

rows_found as (
    select
        fas.USUBJID,
        parameters.PARAMCD,
        count(adtte.USUBJID) as N_ROWS,
        case when parameters.RESPONDERS_ONLY and not fas.IS_CONFIRMED_RESPONDER then 0 else 1 end
            as N_EXPECTED
    from fas
    cross join parameters
    left join {{ ref('adtte') }} as adtte
        on adtte.USUBJID = fas.USUBJID and adtte.PARAMCD = parameters.PARAMCD
    group by all
)

select *
from rows_found
where N_ROWS <> N_EXPECTED
