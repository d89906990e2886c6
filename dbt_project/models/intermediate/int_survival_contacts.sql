-- Both input layouts feed this model (var input_source picks one at run time); the graph
-- keeps both, so that it is the same whatever the profile:
-- depends_on: {{ ref('stg_sdtm__ds') }}
-- depends_on: {{ ref('stg_edc__surv') }}
-- depends_on: {{ ref('stg_sdtm__dm') }}
-- Survival follow-up contacts: vital status at each contact and, for deaths, the death date as
-- ISO 8601 text (DEATH_DTC, possibly partial) and as a date when complete (DEATH_DT).
{%- if var('input_source') == 'edc' %}

select
    {{ usubjid('SUBJID') }} as USUBJID,
    SUBJID,
    CONTACT_SEQ,
    CONTACT_DAT_DT as CONTACT_DT,
    STATUS,
    case when STATUS = 'DEAD' then 'Y' end as DTHFL,
    {{ iso8601_dtc('DEATH_DAT_DT', 'DEATH_DAT_YEAR', 'DEATH_DAT_MONTH') }} as DEATH_DTC,
    DEATH_DAT_DT as DEATH_DT,
    DEATH_CAUSE,
    source_file,
    source_line
from {{ ref('stg_edc__surv') }}
order by USUBJID, CONTACT_SEQ

{%- elif var('input_source') == 'sdtm' %}

-- SDTM: the death recorded in DM (DTHDTC, possibly partial, or only DTHFL = Y) is the one
-- survival contact; DTHFL as sent (data query DEATH_FLAG_DATE_INCONSISTENT compares the two).
select
    USUBJID,
    USUBJID as SUBJID,
    1 as CONTACT_SEQ,
    DTHDT as CONTACT_DT,
    'DEAD' as STATUS,
    DTHFL,
    DTHDTC as DEATH_DTC,
    DTHDT as DEATH_DT,
    cast(null as varchar) as DEATH_CAUSE,
    source_file,
    source_line
from {{ ref('stg_sdtm__dm') }}
where (DTHDTC is not null or DTHFL = 'Y')
  and USUBJID in {{ sdtm_randomised_subjects() }}
order by USUBJID

{%- else %}
{{ unsupported_input_source('int_survival_contacts') }}
{%- endif %}
