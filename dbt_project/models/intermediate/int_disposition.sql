-- Disposition events: end of treatment and end of study, with reason and date.
{%- if var('input_source') == 'edc' %}

select
    {{ usubjid('SUBJID') }} as USUBJID,
    SUBJID,
    DSCAT,
    DSDECOD,
    DSSTDAT_DT as DSSTDT,
    source_file,
    source_line
from {{ ref('stg_edc__ds') }}
order by USUBJID, DSCAT

{%- else %}
{{ unsupported_input_source('int_disposition') }}
{%- endif %}
