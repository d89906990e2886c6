-- Both input layouts feed this model (var input_source picks one at run time); the graph
-- keeps both, so that it is the same whatever the profile:
-- depends_on: {{ ref('stg_sdtm__ds') }}
-- depends_on: {{ ref('stg_edc__ex') }}
-- depends_on: {{ ref('stg_sdtm__ex') }}
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

{%- elif var('input_source') == 'sdtm' %}

select
    USUBJID,
    USUBJID as SUBJID,
    EXSEQ,
    EXTRT,
    EXDOSE,
    EXDOSU,
    EXSTDT,
    EXENDT,
    cast(null as varchar) as EXADJ,
    source_file,
    source_line
from {{ ref('stg_sdtm__ex') }}
where USUBJID in {{ sdtm_randomised_subjects() }}
order by USUBJID, EXSEQ

{%- else %}
{{ unsupported_input_source('int_exposure') }}
{%- endif %}
