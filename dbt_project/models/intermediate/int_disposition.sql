-- Both input layouts feed this model (var input_source picks one at run time); the graph
-- keeps both, so that it is the same whatever the profile:
-- depends_on: {{ ref('stg_edc__ds') }}
-- depends_on: {{ ref('stg_sdtm__ds') }}
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

{%- elif var('input_source') == 'sdtm' %}

-- SDTM: the disposition event (DSCAT DISPOSITION EVENT) ends the study; protocol milestones
-- (randomisation) are not disposition.
select
    USUBJID,
    USUBJID as SUBJID,
    'END OF STUDY' as DSCAT,
    DSDECOD,
    DSSTDT,
    source_file,
    source_line
from {{ ref('stg_sdtm__ds') }}
where DSCAT = 'DISPOSITION EVENT'
  and USUBJID in {{ sdtm_randomised_subjects() }}
qualify row_number() over (partition by USUBJID order by DSSTDT desc, DSSEQ desc) = 1
order by USUBJID

{%- else %}
{{ unsupported_input_source('int_disposition') }}
{%- endif %}
