-- Both input layouts feed this model (var input_source picks one at run time); the graph
-- keeps both, so that it is the same whatever the profile:
-- depends_on: {{ ref('stg_edc__dm') }}
-- depends_on: {{ ref('stg_sdtm__dm') }}
-- depends_on: {{ ref('stg_sdtm__ds') }}
-- Enrolled patients with their planned arm, enrolment date and baseline characteristics, in
-- the shape every input source feeds (var input_source). One row per patient.
{%- if var('input_source') == 'edc' %}

select
    '{{ var("study_id") }}' as STUDYID,
    {{ usubjid('SUBJID') }} as USUBJID,
    SUBJID,
    SITEID,
    ARM,
    cast(null as varchar) as ARMCD,  -- dm.csv collects the arm as its code (ARM)
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

{%- elif var('input_source') == 'sdtm' %}

-- SDTM: DM, enrolled = randomised (DS DSDECOD RANDOMIZED, its date ENRLDT; the reference's
-- RANDDT). Screen failures have no ENRLDT and are not enrolled. LEN+SIRT baseline
-- characteristics do not exist in SDTM DM: null.
with randomisation as (
    select USUBJID, min(DSSTDT) as RANDDT
    from {{ ref('stg_sdtm__ds') }}
    where DSDECOD = 'RANDOMIZED'
    group by USUBJID
)

select
    dm.STUDYID,
    dm.USUBJID,
    dm.SUBJID,
    dm.SITEID,
    dm.ARM,
    dm.ARMCD,
    randomisation.RANDDT as ENRLDT,
    dm.AGE,
    dm.SEX,
    cast(null as double) as WEIGHTBL,
    cast(null as integer) as ECOGBL,
    cast(null as varchar) as CHILDPGH,
    cast(null as varchar) as BCLC,
    cast(null as varchar) as ETIOLOGY,
    cast(null as double) as AFPBL,
    cast(null as integer) as PRTACEN,
    cast(null as varchar) as MVI,
    cast(null as varchar) as EHS,
    dm.source_file,
    dm.source_line
from {{ ref('stg_sdtm__dm') }} as dm
left join randomisation using (USUBJID)
where randomisation.RANDDT is not null
order by dm.USUBJID

{%- else %}
{{ unsupported_input_source('int_subjects') }}
{%- endif %}
