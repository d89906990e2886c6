-- Both input layouts feed this model (var input_source picks one at run time); the graph
-- keeps both, so that it is the same whatever the profile:
-- depends_on: {{ ref('stg_edc__ds') }}
-- depends_on: {{ ref('stg_sdtm__ds') }}
-- Every disposition record of an enrolled patient, with its category, reason and date as sent
-- (DSSTDTC, possibly partial or empty) and as a complete date (DSSTDT). int_disposition keeps
-- one end of treatment and one end of study per patient from these.
{%- if var('input_source') == 'edc' %}

select
    {{ usubjid('SUBJID') }} as USUBJID,
    SUBJID,
    cast(null as integer) as DSSEQ,
    DSCAT,
    DSDECOD,
    strftime(DSSTDAT_DT, '%Y-%m-%d') as DSSTDTC,
    DSSTDAT_DT as DSSTDT,
    source_file,
    source_line
from {{ ref('stg_edc__ds') }}
order by USUBJID, DSCAT

{%- elif var('input_source') == 'sdtm' %}

-- SDTM: a disposition event (DSCAT DISPOSITION EVENT) ends the study; protocol milestones
-- (randomisation) and other events keep their category.
select
    USUBJID,
    USUBJID as SUBJID,
    DSSEQ,
    case DSCAT when 'DISPOSITION EVENT' then 'END OF STUDY' else DSCAT end as DSCAT,
    DSDECOD,
    DSSTDTC,
    DSSTDT,
    source_file,
    source_line
from {{ ref('stg_sdtm__ds') }}
where USUBJID in {{ sdtm_randomised_subjects() }}
order by USUBJID, DSSEQ

{%- else %}
{{ unsupported_input_source('int_disposition_records') }}
{%- endif %}
