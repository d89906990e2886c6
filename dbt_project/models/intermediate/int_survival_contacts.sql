-- Survival follow-up contacts: vital status at each contact and, for deaths, the death date as
-- ISO 8601 text (DEATH_DTC, possibly partial) and as a date when complete (DEATH_DT).
{%- if var('input_source') == 'edc' %}

select
    {{ usubjid('SUBJID') }} as USUBJID,
    SUBJID,
    CONTACT_SEQ,
    CONTACT_DAT_DT as CONTACT_DT,
    STATUS,
    {{ iso8601_dtc('DEATH_DAT_DT', 'DEATH_DAT_YEAR', 'DEATH_DAT_MONTH') }} as DEATH_DTC,
    DEATH_DAT_DT as DEATH_DT,
    DEATH_CAUSE,
    source_file,
    source_line
from {{ ref('stg_edc__surv') }}
order by USUBJID, CONTACT_SEQ

{%- else %}
{{ unsupported_input_source('int_survival_contacts') }}
{%- endif %}
