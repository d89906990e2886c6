-- Enrolled patients with their planned arm, enrolment date and baseline characteristics, in
-- the shape every input source feeds (var input_source). One row per patient.
{%- if var('input_source') == 'edc' %}

select
    '{{ var("study_id") }}' as STUDYID,
    {{ usubjid('SUBJID') }} as USUBJID,
    SUBJID,
    SITEID,
    ARM,
    ENRLDAT_DT as ENRLDT,
    AGE,
    SEX,
    WEIGHT_KG as WEIGHTBL,
    ECOG as ECOGBL,
    CHILD_PUGH as CHILDPGH,
    BCLC,
    ETIOLOGY,
    AFP_NGML as AFPBL,
    PRIOR_TACE_N as PRTACEN,
    MVI,
    EHS,
    source_file,
    source_line
from {{ ref('stg_edc__dm') }}
order by USUBJID

{%- else %}
{{ unsupported_input_source('int_subjects') }}
{%- endif %}
