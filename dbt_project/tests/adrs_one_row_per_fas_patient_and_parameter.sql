-- ADRS: every FAS patient has exactly one row of each parameter other than OVR (SPEC 5).
-- Fails with the patient, the parameter and the number of rows found.
-- meta.dagster.ref: the Dagster asset check belongs to adrs (the test also reads ADSL).
{{ config(meta={'dagster': {'ref': {'name': 'adrs'}}}) }}

with

fas as (
    select USUBJID from {{ ref('adsl') }} where FASFL = 'Y'
),

parameters (PARAMCD) as (
    values ('BOR'), ('CBOR'), ('RSP'), ('CRSP'), ('CCB'), ('PD'), ('DEATH'), ('LSTA'), ('MDIS')
),

rows_found as (
    select fas.USUBJID, parameters.PARAMCD, count(adrs.USUBJID) as N_ROWS
    from fas
    cross join parameters
    left join {{ ref('adrs') }} as adrs
        on adrs.USUBJID = fas.USUBJID and adrs.PARAMCD = parameters.PARAMCD
    group by fas.USUBJID, parameters.PARAMCD
)

select *
from rows_found
where N_ROWS <> 1
