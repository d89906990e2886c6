-- Study treatment records: one row per SIRT procedure or constant-dose lenvatinib period.
-- EXENDT is null while a lenvatinib period is ongoing; SIRT is a one-day procedure (EXSTDT).
{%- if var('input_source') == 'edc' %}

select
    {{ usubjid('SUBJID') }} as USUBJID,
    SUBJID,
    EXSEQ,
    EXTRT,
    EXDOSE,
    EXDOSU,
    EXSTDAT_DT as EXSTDT,
    EXENDAT_DT as EXENDT,
    EXADJ,
    source_file,
    source_line
from {{ ref('stg_edc__ex') }}
order by USUBJID, EXSEQ

{%- else %}
{{ unsupported_input_source('int_exposure') }}
{%- endif %}
